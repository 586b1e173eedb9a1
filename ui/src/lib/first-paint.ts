// The startup time: once per run of the app, when its first view is on screen with
// its data, the backend is told (it logs "first paint" with the time since start).

import { firstPaint, type FirstView } from './ipc';
import type { AgendaEvent } from './types';

let told = false;

/**
 * After the next frame is painted (the second animation frame runs once the first
 * has been drawn), tells the backend `view` is shown with `events` events; only the
 * first call of a run does anything. Never fails: it is for the log.
 */
export function reportFirstPaint(view: FirstView, events: number): void {
  if (told) return;
  told = true;
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      firstPaint(view, events).catch(() => {
        // Outside the app (a browser, a test) there is no backend to tell.
      });
    }),
  );
}

/** How many of `events` fall in the month of `day` (local time): what the month view shows first. */
export function inMonth(events: AgendaEvent[], day: Date): number {
  const from = new Date(day.getFullYear(), day.getMonth(), 1).getTime();
  const to = new Date(day.getFullYear(), day.getMonth() + 1, 1).getTime();
  return events.filter((e) => {
    const start = Date.parse(e.start);
    const end = Date.parse(e.end);
    return start < to && (end > from || start >= from);
  }).length;
}

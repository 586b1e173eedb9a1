// What the month grid is given: the events of the range it shows, at most a few per
// day and a « +N autres » entry for the rest. The calendar library lays out each
// entry it is handed, at a few milliseconds each: a space with thousands of events
// would take seconds to show its month otherwise.

import type { AgendaEvent } from '../types';
import { dayKey, parseDateInput } from './dates';
import { compareEvents } from './group';

/** Lines a day of the grid shows at most, the « +N autres » line included. */
export const DAY_LINES = 4;

/** The id prefix of a « +N autres » entry; the rest of the id is its day, `YYYY-MM-DD`. */
export const MORE_PREFIX = 'more:';

export interface MonthEntry {
  id: string;
  title: string;
  start: Date;
  end: Date;
  allDay: boolean;
}

/**
 * The entries for the days from `from` to `to` (exclusive): each day's events in the
 * list's order, all of them when there are at most `lines`, else the first `lines - 1`
 * and one « +N autres ». An event that began before `from` counts on `from`'s day.
 */
export function monthEntries(events: readonly AgendaEvent[], from: Date, to: Date, lines = DAY_LINES): MonthEntry[] {
  const days = new Map<string, AgendaEvent[]>();
  for (const event of events) {
    const start = Date.parse(event.start);
    const end = Date.parse(event.end);
    const overlaps = start < to.getTime() && (end > from.getTime() || start >= from.getTime());
    if (!overlaps) continue;
    const key = start < from.getTime() ? dayKey(from.toISOString()) : dayKey(event.start);
    const list = days.get(key);
    if (list) list.push(event);
    else days.set(key, [event]);
  }
  const entries: MonthEntry[] = [];
  for (const [key, list] of days) {
    list.sort(compareEvents);
    const kept = list.length <= lines ? list : list.slice(0, lines - 1);
    for (const e of kept) {
      entries.push({ id: e.id, title: e.title, start: new Date(e.start), end: new Date(e.end), allDay: e.allDay });
    }
    const rest = list.length - kept.length;
    if (rest > 0) {
      const day = parseDateInput(key) ?? new Date(key);
      entries.push({
        id: `${MORE_PREFIX}${key}`,
        title: `+${rest} autre${rest > 1 ? 's' : ''}`,
        start: day,
        end: new Date(day.getTime() + 60_000),
        allDay: false,
      });
    }
  }
  return entries;
}

/** The day a « +N autres » entry stands for, or null for an event. */
export function moreDay(id: string): string | null {
  return id.startsWith(MORE_PREFIX) ? id.slice(MORE_PREFIX.length) : null;
}

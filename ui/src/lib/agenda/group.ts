import type { AgendaEvent } from '../types';
import { dayKey, parseDateInput } from './dates';

export interface DayGroup {
  /** Local day, `YYYY-MM-DD`. */
  key: string;
  /** Local midnight of that day. */
  day: Date;
  events: AgendaEvent[];
}

/**
 * Events grouped by the local day they start on, days in order, and within a day
 * all-day events first, then by start time, then by title.
 */
export function groupByDay(events: readonly AgendaEvent[]): DayGroup[] {
  const sorted = [...events].sort(compareEvents);
  const groups: DayGroup[] = [];
  for (const event of sorted) {
    const key = dayKey(event.start);
    let group = groups.at(-1);
    if (!group || group.key !== key) {
      group = { key, day: parseDateInput(key) ?? new Date(event.start), events: [] };
      groups.push(group);
    }
    group.events.push(event);
  }
  return groups;
}

export function compareEvents(a: AgendaEvent, b: AgendaEvent): number {
  const dayA = dayKey(a.start);
  const dayB = dayKey(b.start);
  if (dayA !== dayB) return dayA < dayB ? -1 : 1;
  if (a.allDay !== b.allDay) return a.allDay ? -1 : 1;
  const byStart = Date.parse(a.start) - Date.parse(b.start);
  if (byStart !== 0) return byStart;
  return a.title.localeCompare(b.title, 'fr');
}

import { describe, expect, it } from 'vitest';
import type { AgendaEvent } from '../types';
import { groupByDay } from './group';

function ev(id: string, start: string, end: string, allDay = false, title = id): AgendaEvent {
  return {
    id,
    space: 's',
    title,
    start,
    end,
    allDay,
    place: '',
    theme: '',
    description: '',
    deleted: false,
    updatedAt: start,
    updatedBy: 'd',
  };
}

describe('groupByDay', () => {
  it('groups by local start day, days in order, all-day first then by time', () => {
    const groups = groupByDay([
      ev('late', '2026-12-02T18:00:00+01:00', '2026-12-02T19:00:00+01:00'),
      ev('early', '2026-12-02T08:00:00+01:00', '2026-12-02T09:00:00+01:00'),
      ev('first', '2026-12-01T14:00:00+01:00', '2026-12-01T15:00:00+01:00'),
      ev('allday', '2026-12-02T00:00:00+01:00', '2026-12-03T00:00:00+01:00', true),
      // 23:30 UTC on the 1st is already the 2nd in Paris.
      ev('utc', '2026-12-01T23:30:00Z', '2026-12-02T00:30:00Z'),
    ]);
    expect(groups.map((g) => [g.key, g.events.map((e) => e.id)])).toEqual([
      ['2026-12-01', ['first']],
      ['2026-12-02', ['allday', 'utc', 'early', 'late']],
    ]);
    expect(groups[1].day.getDate()).toBe(2);
  });

  it('orders events at the same time by title, French collation', () => {
    const at = ['2026-12-01T10:00:00+01:00', '2026-12-01T11:00:00+01:00'] as const;
    const groups = groupByDay([ev('b', ...at, false, 'Élus'), ev('a', ...at, false, 'Agents'), ev('c', ...at, false, 'éco')]);
    expect(groups[0].events.map((e) => e.title)).toEqual(['Agents', 'éco', 'Élus']);
  });

  it('gives no group for no events', () => {
    expect(groupByDay([])).toEqual([]);
  });
});

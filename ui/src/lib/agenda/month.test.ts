import { describe, expect, it } from 'vitest';
import type { AgendaEvent } from '../types';
import { monthEntries, moreDay } from './month';

let next = 1;
function event(start: string, end: string, title = `Réunion ${next}`, allDay = false): AgendaEvent {
  return {
    id: `e${next++}`,
    space: 's',
    title,
    start,
    end,
    allDay,
    place: '',
    description: '',
    theme: '',
    deleted: false,
    updatedAt: '',
    updatedBy: '',
  } as AgendaEvent;
}

const from = new Date(2027, 0, 1);
const to = new Date(2027, 1, 1);
const at = (day: number, hour: number) => new Date(2027, 0, day, hour).toISOString();

describe('monthEntries', () => {
  it('hands the grid only the shown days', () => {
    const inside = event(at(12, 18), at(12, 20));
    const before = event(new Date(2026, 11, 30, 9).toISOString(), new Date(2026, 11, 30, 10).toISOString());
    const after = event(new Date(2027, 1, 2, 9).toISOString(), new Date(2027, 1, 2, 10).toISOString());
    const across = event(new Date(2026, 11, 28).toISOString(), at(3, 12), 'Congés');
    const ids = monthEntries([inside, before, after, across], from, to).map((e) => e.id);
    expect(ids.sort()).toEqual([across.id, inside.id].sort());
  });

  it('keeps a busy day to three events and « +N autres »', () => {
    const day = [9, 10, 11, 12, 13, 14].map((h) => event(at(12, h), at(12, h + 1), `À ${h} h`));
    const quiet = [event(at(13, 9), at(13, 10)), event(at(13, 11), at(13, 12)), event(at(13, 14), at(13, 15)), event(at(13, 16), at(13, 17))];
    const entries = monthEntries([...day.reverse(), ...quiet], from, to);
    const on12 = entries.filter((e) => e.start.getDate() === 12);
    expect(on12.map((e) => e.title)).toEqual(['À 9 h', 'À 10 h', 'À 11 h', '+3 autres']);
    expect(moreDay(on12[3].id)).toBe('2027-01-12');
    expect(entries.filter((e) => e.start.getDate() === 13)).toHaveLength(4);
    expect(moreDay(quiet[0].id)).toBeNull();
  });
});

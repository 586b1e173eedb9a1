import { waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake-backend';
import { inMonth, reportFirstPaint } from './first-paint';
import type { AgendaEvent } from './types';

function event(start: string, end: string): AgendaEvent {
  return {
    id: start,
    space: 's',
    title: 'Conseil',
    start,
    end,
    allDay: false,
    place: '',
    theme: '',
    description: '',
    deleted: false,
    updatedAt: '',
    updatedBy: '',
  };
}

const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));

describe('first paint', () => {
  it('counts the events the month of a day shows, those overlapping its edges too', () => {
    const events = [
      event('2026-11-30T09:00:00+01:00', '2026-11-30T10:00:00+01:00'),
      event('2026-11-30T23:00:00+01:00', '2026-12-01T01:00:00+01:00'),
      event('2026-12-15T09:00:00+01:00', '2026-12-15T10:00:00+01:00'),
      event('2026-12-31T23:30:00+01:00', '2027-01-01T00:30:00+01:00'),
      event('2027-01-01T00:00:00+01:00', '2027-01-01T01:00:00+01:00'),
    ];
    // Europe/Paris (vite.config.ts): the month is local.
    expect(inMonth(events, new Date(2026, 11, 10))).toBe(3);
    expect(inMonth([], new Date(2026, 11, 10))).toBe(0);
  });

  it('tells the backend once per run, after the next frame', async () => {
    const backend = new FakeBackend().install();
    reportFirstPaint('agenda', 312);
    expect(backend.callsOf('first_paint'), 'not before a frame is painted').toEqual([]);
    await waitFor(() => expect(backend.callsOf('first_paint')).toEqual([{ view: 'agenda', events: 312 }]));
    reportFirstPaint('welcome', 0);
    await frame();
    await frame();
    await frame();
    expect(backend.callsOf('first_paint'), 'a later view is not the start any more').toHaveLength(1);
  });
});

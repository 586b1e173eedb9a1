import { describe, expect, it } from 'vitest';
import {
  addDays,
  dayKey,
  formatDayHeading,
  formatWhen,
  parseDateInput,
  parseDateTimeInput,
  toDateTimeInputValue,
  toRfc3339,
} from './dates';

// vite.config.ts pins TZ=Europe/Paris for tests.
describe('RFC 3339 in local time', () => {
  it('writes the winter offset in December and the summer offset in July', () => {
    expect(toRfc3339(new Date(2026, 11, 1, 14, 0))).toBe('2026-12-01T14:00:00+01:00');
    expect(toRfc3339(new Date(2026, 6, 14, 9, 30))).toBe('2026-07-14T09:30:00+02:00');
  });

  it('round-trips an input value through the backend format', () => {
    const start = parseDateTimeInput('2026-12-01T14:00');
    expect(start).not.toBeNull();
    expect(toDateTimeInputValue(new Date(toRfc3339(start!)))).toBe('2026-12-01T14:00');
  });
});

describe('parsing input values', () => {
  it('refuses dates that do not exist and malformed values', () => {
    expect(parseDateInput('2026-02-30')).toBeNull();
    expect(parseDateInput('2026-13-01')).toBeNull();
    expect(parseDateInput('01/12/2026')).toBeNull();
    expect(parseDateInput('')).toBeNull();
    expect(parseDateTimeInput('2026-12-01T24:00')).toBeNull();
    expect(parseDateTimeInput('2026-12-01')).toBeNull();
  });

  it('accepts seconds, and a space instead of T (what a text fallback may hold)', () => {
    expect(parseDateTimeInput('2026-12-01T14:00:30')?.getSeconds()).toBe(30);
    expect(parseDateTimeInput('2026-12-01 14:00')?.getHours()).toBe(14);
  });
});

describe('days', () => {
  it('adds calendar days across the switch to summer time', () => {
    // 29 March 2026 has 23 hours in Paris; midnight stays midnight.
    const next = addDays(new Date(2026, 2, 28), 2);
    expect(toRfc3339(next)).toBe('2026-03-30T00:00:00+02:00');
  });

  it('keys an instant by its local day, whatever offset it was written with', () => {
    expect(dayKey('2026-12-01T23:30:00Z')).toBe('2026-12-02');
    expect(dayKey('2026-12-01T14:00:00+01:00')).toBe('2026-12-01');
  });

  it('writes day headings and times in French', () => {
    expect(formatDayHeading(new Date(2026, 11, 1))).toBe('mardi 1 décembre 2026');
    expect(
      formatWhen({ start: '2026-12-01T14:00:00+01:00', end: '2026-12-01T16:30:00+01:00', allDay: false }),
    ).toBe('14:00 – 16:30');
    expect(formatWhen({ start: '2026-12-01T00:00:00+01:00', end: '2026-12-02T00:00:00+01:00', allDay: true })).toBe(
      'Journée entière',
    );
    expect(
      formatWhen({ start: '2026-12-01T00:00:00+01:00', end: '2026-12-04T00:00:00+01:00', allDay: true }),
    ).toMatch(/^Jusqu’au jeu\.? 3 déc\.? inclus$/);
  });
});

import { describe, expect, it } from 'vitest';
import type { AgendaEvent } from '../types';
import { formFromEvent, newEventForm, validateEventForm, withAllDay, type EventFormValues } from './form';

const base: EventFormValues = {
  title: 'Conseil communautaire',
  start: '2026-12-01T14:00',
  end: '2026-12-01T16:00',
  allDay: false,
  place: ' Salle des fêtes ',
  theme: 'Conseil',
  description: 'Ordre du jour en pièce jointe.',
};

describe('validateEventForm', () => {
  it('builds the EventInput with RFC 3339 times and trimmed text fields', () => {
    const result = validateEventForm(base);
    expect(result).toEqual({
      ok: true,
      input: {
        title: 'Conseil communautaire',
        start: '2026-12-01T14:00:00+01:00',
        end: '2026-12-01T16:00:00+01:00',
        allDay: false,
        place: 'Salle des fêtes',
        theme: 'Conseil',
        description: 'Ordre du jour en pièce jointe.',
      },
    });
  });

  it('refuses an empty or blank title with the French sentence', () => {
    const result = validateEventForm({ ...base, title: '   ' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.title).toBe('Le titre est obligatoire.');
  });

  it('refuses an end before the start, but accepts an event of no duration', () => {
    const before = validateEventForm({ ...base, end: '2026-12-01T13:59' });
    expect(before.ok).toBe(false);
    if (!before.ok) expect(before.errors.end).toBe('La fin doit être après le début.');
    expect(validateEventForm({ ...base, end: base.start }).ok).toBe(true);
  });

  it('refuses missing or impossible dates', () => {
    const result = validateEventForm({ ...base, start: '', end: '2026-02-30T10:00' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.start).toMatch(/date/);
      expect(result.errors.end).toMatch(/date/);
    }
  });

  it('sends an all-day event as local midnight of the first day to midnight after the last day', () => {
    const result = validateEventForm({ ...base, allDay: true, start: '2026-12-01', end: '2026-12-03' });
    expect(result.ok && result.input).toMatchObject({
      allDay: true,
      start: '2026-12-01T00:00:00+01:00',
      end: '2026-12-04T00:00:00+01:00',
    });
  });

  it('accepts a one-day all-day event and refuses a last day before the first', () => {
    const one = validateEventForm({ ...base, allDay: true, start: '2026-12-01', end: '2026-12-01' });
    expect(one.ok && one.input.end).toBe('2026-12-02T00:00:00+01:00');
    const reversed = validateEventForm({ ...base, allDay: true, start: '2026-12-02', end: '2026-12-01' });
    expect(reversed.ok).toBe(false);
  });
});

describe('form values', () => {
  const stored: AgendaEvent = {
    id: 'e1',
    space: 's1',
    title: 'Marché de Noël',
    start: '2026-12-12T00:00:00+01:00',
    end: '2026-12-14T00:00:00+01:00',
    allDay: true,
    place: 'Place de la halle',
    theme: 'Événement public',
    description: '',
    deleted: false,
    updatedAt: '2026-11-20T10:00:00+01:00',
    updatedBy: 'device-1',
  };

  it('shows a stored all-day event with its last day, and saves it back unchanged', () => {
    const values = formFromEvent(stored);
    expect(values.start).toBe('2026-12-12');
    expect(values.end).toBe('2026-12-13');
    const result = validateEventForm(values);
    expect(result.ok && [result.input.start, result.input.end]).toEqual([stored.start, stored.end]);
  });

  it('shows a timed event in local time even when stored in UTC', () => {
    const values = formFromEvent({ ...stored, allDay: false, start: '2026-12-12T13:00:00Z', end: '2026-12-12T15:00:00Z' });
    expect([values.start, values.end]).toEqual(['2026-12-12T14:00', '2026-12-12T16:00']);
  });

  it('switches the inputs between date and date-time when "Journée entière" changes', () => {
    const allDay = withAllDay(base, true);
    expect([allDay.start, allDay.end]).toEqual(['2026-12-01', '2026-12-01']);
    const timed = withAllDay(allDay, false);
    expect([timed.start, timed.end]).toEqual(['2026-12-01T09:00', '2026-12-01T10:00']);
  });

  it('starts a new event at the next full hour, or at 9:00 on a clicked day', () => {
    const now = new Date(2026, 11, 1, 10, 25);
    expect(newEventForm(undefined, now)).toMatchObject({ start: '2026-12-01T11:00', end: '2026-12-01T12:00' });
    expect(newEventForm(new Date(2026, 11, 5))).toMatchObject({ start: '2026-12-05T09:00', end: '2026-12-05T10:00' });
  });
});

import { describe, expect, it } from 'vitest';
import { actionsFor, mondayOf, placeOnDay, validateBookingForm, type Resource, type Slot } from './bookings';

const resource = (over: Partial<Resource> = {}): Resource => ({
  id: 'r1',
  space: 's',
  name: 'Salle du conseil',
  kind: 'room',
  capacity: 30,
  location: '',
  description: '',
  maxMinutes: 0,
  confirm: false,
  divisible: false,
  bookRole: 'editor',
  managerDevice: '',
  canManage: false,
  deleted: false,
  updatedAt: '',
  updatedBy: '',
  ...over,
});

const slot = (over: Partial<Slot> = {}): Slot => ({
  id: 'b1',
  occurrence: 0,
  resource: 'r1',
  resourceName: 'Salle du conseil',
  title: 'CCAS',
  start: new Date(2027, 0, 12, 14).toISOString(),
  end: new Date(2027, 0, 12, 16).toISOString(),
  status: 'confirmed',
  conflictsWith: [],
  recurring: false,
  authorDevice: '',
  author: 'Anne',
  mine: false,
  ...over,
});

describe('the booking form', () => {
  it('makes local RFC 3339 times and refuses an end before the start', () => {
    const ok = validateBookingForm({ resource: 'r1', title: ' CCAS ', day: '2027-01-12', startTime: '14:00', endTime: '16:30', repeatUntil: '' });
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      expect(ok.input.title).toBe('CCAS');
      expect(new Date(ok.input.start).getHours()).toBe(14);
      expect(ok.input.start).toMatch(/^2027-01-12T14:00:00[+-]\d{2}:\d{2}$/);
      expect(ok.input.end).toMatch(/^2027-01-12T16:30:00/);
    }
    const backwards = validateBookingForm({ resource: 'r1', title: '', day: '2027-01-12', startTime: '16:00', endTime: '15:00', repeatUntil: '' });
    expect(backwards.ok).toBe(false);
    if (!backwards.ok) expect(backwards.errors.endTime).toBe('La fin doit être après le début.');
    const until = validateBookingForm({ resource: 'r1', title: '', day: '2027-01-12', startTime: '14:00', endTime: '15:00', repeatUntil: '2027-01-01' });
    expect(until.ok).toBe(false);
    const none = validateBookingForm({ resource: '', title: '', day: '2027-01-12', startTime: '14:00', endTime: '15:00', repeatUntil: '' });
    expect(none.ok).toBe(false);
  });
});

describe('the day view', () => {
  it('places an occurrence on the 7 h to 22 h line and clips what is outside', () => {
    const day = new Date(2027, 0, 12);
    const place = placeOnDay(slot(), day);
    expect(place?.left).toBeCloseTo((7 / 15) * 100);
    expect(place?.width).toBeCloseTo((2 / 15) * 100);
    const night = placeOnDay(slot({ start: new Date(2027, 0, 12, 21).toISOString(), end: new Date(2027, 0, 13, 2).toISOString() }), day);
    expect(night?.width).toBeCloseTo((1 / 15) * 100);
    expect(placeOnDay(slot(), new Date(2027, 0, 13))).toBeNull();
  });

  it('weeks start on Monday', () => {
    expect(mondayOf(new Date(2027, 0, 14)).getDate()).toBe(11);
    expect(mondayOf(new Date(2027, 0, 17)).getDate()).toBe(11);
    expect(mondayOf(new Date(2027, 0, 18)).getDate()).toBe(18);
  });
});

describe('what one may do with a booking', () => {
  it('offers a manager the decisions the state allows, an author only to cancel', () => {
    const manager = resource({ canManage: true, divisible: true });
    expect(actionsFor(slot({ status: 'pending' }), manager)).toEqual(['confirm', 'refuse', 'cancel']);
    expect(actionsFor(slot({ status: 'conflict' }), manager)).toEqual(['refuse', 'accept_overlap', 'cancel']);
    expect(actionsFor(slot({ status: 'conflict' }), resource({ canManage: true }))).toEqual(['refuse', 'cancel']);
    expect(actionsFor(slot({ status: 'conflict', mine: true }), resource())).toEqual(['cancel']);
    expect(actionsFor(slot({ status: 'confirmed' }), resource())).toEqual([]);
    expect(actionsFor(slot({ status: 'cancelled', mine: true }), resource())).toEqual([]);
  });
});

// Bookings of rooms, equipment and vehicles: the backend's types, its commands, and
// what the day and week views compute from the occurrences it lists.

import { toDateInputValue, toRfc3339, parseDateTimeInput, addDays, startOfDay } from '../agenda/dates';
import { call } from '../ipc';

export type ResourceKind = 'room' | 'equipment' | 'vehicle' | 'other';
export type BookRole = 'editor' | 'validator' | 'admin';

export interface ResourceInput {
  name: string;
  kind: ResourceKind;
  capacity: number;
  location: string;
  description: string;
  /** Longest booking, in minutes; 0 for no limit. */
  maxMinutes: number;
  /** Bookings wait for a manager's confirmation. */
  confirm: boolean;
  /** Can be shared: a manager may accept overlapping bookings. */
  divisible: boolean;
  bookRole: BookRole;
}

export interface Resource extends ResourceInput {
  id: string;
  space: string;
  managerDevice: string;
  /** This person may edit it and decide on its bookings. */
  canManage: boolean;
  deleted: boolean;
  updatedAt: string;
  updatedBy: string;
}

export interface BookingInput {
  resource: string;
  title: string;
  /** RFC 3339 with offset. */
  start: string;
  end: string;
  /** '' for once, else `YYYY-MM-DD`: every week until that day. */
  repeatUntil: string;
}

export type BookingStatus = 'pending' | 'confirmed' | 'refused' | 'cancelled';

export interface Booking extends BookingInput {
  id: string;
  space: string;
  status: BookingStatus;
  overlapOk: boolean;
  createdAt: string;
  deleted: boolean;
  updatedAt: string;
  updatedBy: string;
}

export type SlotStatus = BookingStatus | 'conflict';

/** One occurrence of a booking, with the status the conflict rule gives it. */
export interface Slot {
  /** The booking's id. */
  id: string;
  occurrence: number;
  resource: string;
  resourceName: string;
  title: string;
  /** UTC. */
  start: string;
  end: string;
  status: SlotStatus;
  /** Earlier bookings it collides with. */
  conflictsWith: string[];
  recurring: boolean;
  authorDevice: string;
  author: string;
  mine: boolean;
}

export type Decision = 'confirm' | 'refuse' | 'cancel' | 'accept_overlap';

export function listResources(space: string, deleted = false): Promise<Resource[]> {
  return call('list_resources', { space, deleted });
}

export function addResource(space: string, resource: ResourceInput): Promise<Resource> {
  return call('add_resource', { space, resource });
}

export function updateResource(space: string, id: string, resource: ResourceInput): Promise<Resource> {
  return call('update_resource', { space, id, resource });
}

export function setResourceDeleted(space: string, id: string, deleted: boolean): Promise<Resource> {
  return call('set_resource_deleted', { space, id, deleted });
}

/** Occurrences between `from` and `to` (RFC 3339), of one resource or all. */
export function listSlots(space: string, from: string, to: string, resource: string | null = null): Promise<Slot[]> {
  return call('list_booking_slots', { space, filter: { resource, from, to } });
}

export function book(space: string, booking: BookingInput): Promise<Booking> {
  return call('book', { space, booking });
}

/** One booking as stored (its first occurrence and its repetition). */
export function getBooking(space: string, id: string): Promise<Booking> {
  return call('get_booking', { space, id });
}

export function moveBooking(space: string, id: string, booking: BookingInput): Promise<Booking> {
  return call('move_booking', { space, id, booking });
}

export function decideBooking(space: string, id: string, decision: Decision): Promise<Booking> {
  return call('decide_booking', { space, id, decision });
}

export const KIND_LABELS: Record<ResourceKind, string> = {
  room: 'Salle',
  equipment: 'Matériel',
  vehicle: 'Véhicule',
  other: 'Autre',
};

export const ROLE_LABELS: Record<BookRole, string> = {
  editor: 'Tous les rédacteurs',
  validator: 'Élus et administrateurs',
  admin: 'Administrateurs seulement',
};

export const STATUS_LABELS: Record<SlotStatus, string> = {
  confirmed: 'Confirmée',
  pending: 'En attente',
  refused: 'Refusée',
  cancelled: 'Annulée',
  conflict: 'En conflit',
};

export function newResourceInput(): ResourceInput {
  return {
    name: '',
    kind: 'room',
    capacity: 0,
    location: '',
    description: '',
    maxMinutes: 0,
    confirm: false,
    divisible: false,
    bookRole: 'editor',
  };
}

export function inputOf(resource: Resource): ResourceInput {
  const { name, kind, capacity, location, description, maxMinutes, confirm, divisible, bookRole } = resource;
  return { name, kind, capacity, location, description, maxMinutes, confirm, divisible, bookRole };
}

/** The booking form: a day, two times, an optional weekly end. */
export interface BookingForm {
  resource: string;
  title: string;
  /** `YYYY-MM-DD`. */
  day: string;
  /** `HH:mm`. */
  startTime: string;
  endTime: string;
  /** '' or `YYYY-MM-DD`. */
  repeatUntil: string;
}

export type BookingFormErrors = Partial<Record<'resource' | 'day' | 'startTime' | 'endTime' | 'repeatUntil', string>>;

/** Checks the form and turns it into what the backend takes (local times with their offset). */
export function validateBookingForm(
  form: BookingForm,
): { ok: true; input: BookingInput } | { ok: false; errors: BookingFormErrors } {
  const errors: BookingFormErrors = {};
  if (!form.resource) errors.resource = 'Choisissez une ressource.';
  const start = parseDateTimeInput(`${form.day}T${form.startTime}`);
  const end = parseDateTimeInput(`${form.day}T${form.endTime}`);
  if (!start) errors.startTime = 'Indiquez une date et une heure de début valides.';
  if (!end) errors.endTime = 'Indiquez une heure de fin valide.';
  if (start && end && end <= start) errors.endTime = 'La fin doit être après le début.';
  const until = form.repeatUntil.trim();
  if (until && (!/^\d{4}-\d{2}-\d{2}$/.test(until) || until < form.day)) {
    errors.repeatUntil = 'La répétition doit s’arrêter le jour même ou après.';
  }
  if (Object.keys(errors).length > 0 || !start || !end) return { ok: false, errors };
  return {
    ok: true,
    input: { resource: form.resource, title: form.title.trim(), start: toRfc3339(start), end: toRfc3339(end), repeatUntil: until },
  };
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const hhmm = (d: Date) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;

/** A new booking on `day` (default today), at the next full hour, for an hour. */
export function newBookingForm(resource: string, day: Date = new Date()): BookingForm {
  const now = new Date();
  const sameDay = toDateInputValue(day) === toDateInputValue(now);
  const hour = sameDay ? Math.min(now.getHours() + 1, 22) : 9;
  return {
    resource,
    title: '',
    day: toDateInputValue(day),
    startTime: `${pad2(hour)}:00`,
    endTime: `${pad2(hour + 1)}:00`,
    repeatUntil: '',
  };
}

/** The form to move an existing booking (its first occurrence). */
export function formOf(booking: Booking): BookingForm {
  const start = new Date(booking.start);
  const end = new Date(booking.end);
  return {
    resource: booking.resource,
    title: booking.title,
    day: toDateInputValue(start),
    startTime: hhmm(start),
    endTime: hhmm(end),
    repeatUntil: booking.repeatUntil,
  };
}

/** The hours the day view shows. */
export const DAY_START_HOUR = 7;
export const DAY_END_HOUR = 22;

/** Where an occurrence sits on a day's line, in percent of the shown hours; null if outside. */
export function placeOnDay(slot: Pick<Slot, 'start' | 'end'>, day: Date): { left: number; width: number } | null {
  const from = new Date(day.getFullYear(), day.getMonth(), day.getDate(), DAY_START_HOUR).getTime();
  const to = new Date(day.getFullYear(), day.getMonth(), day.getDate(), DAY_END_HOUR).getTime();
  const start = Math.max(new Date(slot.start).getTime(), from);
  const end = Math.min(new Date(slot.end).getTime(), to);
  if (end <= start) return null;
  const span = to - from;
  return { left: ((start - from) / span) * 100, width: ((end - start) / span) * 100 };
}

/** The local day's bounds as RFC 3339, for `listSlots`. */
export function dayRange(day: Date): { from: string; to: string } {
  const start = startOfDay(day);
  return { from: toRfc3339(start), to: toRfc3339(addDays(start, 1)) };
}

/** The Monday of the week holding `day`, at midnight. */
export function mondayOf(day: Date): Date {
  const start = startOfDay(day);
  const back = (start.getDay() + 6) % 7;
  return addDays(start, -back);
}

/** The week's bounds as RFC 3339. */
export function weekRange(day: Date): { from: string; to: string } {
  const monday = mondayOf(day);
  return { from: toRfc3339(monday), to: toRfc3339(addDays(monday, 7)) };
}

/** The occurrences of a local day, by start. */
export function slotsOfDay(slots: Slot[], day: Date): Slot[] {
  const key = toDateInputValue(day);
  return slots
    .filter((s) => toDateInputValue(new Date(s.start)) === key || (new Date(s.start) < day && new Date(s.end) > day))
    .sort((a, b) => a.start.localeCompare(b.start));
}

/** What a manager or the author may do with an occurrence. */
export function actionsFor(slot: Slot, resource: Resource | undefined): Decision[] {
  const manage = !!resource?.canManage;
  const actions: Decision[] = [];
  if (manage && slot.status === 'pending') actions.push('confirm');
  if (manage && (slot.status === 'pending' || slot.status === 'conflict')) actions.push('refuse');
  if (manage && slot.status === 'conflict' && resource?.divisible) actions.push('accept_overlap');
  if ((manage || slot.mine) && slot.status !== 'cancelled' && slot.status !== 'refused') actions.push('cancel');
  return actions;
}

export const DECISION_LABELS: Record<Decision, string> = {
  confirm: 'Confirmer',
  refuse: 'Refuser',
  cancel: 'Annuler la réservation',
  accept_overlap: 'Accepter les deux',
};

// The bookings commands for tests: resources and bookings kept in memory, the known
// conflict refused, and the later of two overlapping bookings "conflict" as the
// backend's rule says (here only for bookings put in by the test as made offline).

import type { Args, FakeBackend } from '../fake-backend';
import type { Booking, BookingInput, Resource, ResourceInput, Slot } from './bookings';

export interface FakeBookings {
  resources: Resource[];
  bookings: (Booking & { author: string; mine: boolean })[];
  /** Adds a booking as if it had arrived from another computer (no conflict check). */
  arrive(input: BookingInput, author: string): Booking & { author: string; mine: boolean };
}

export function installBookings(backend: FakeBackend): FakeBookings {
  let next = 1;
  const state: FakeBookings = {
    resources: [],
    bookings: [],
    arrive(input, author) {
      const made = create(input, 'confirmed', author, false);
      return made;
    },
  };
  const create = (input: BookingInput, status: Booking['status'], author: string, mine: boolean) => {
    const booking = {
      ...input,
      id: `booking-${next++}`,
      space: '',
      status,
      overlapOk: false,
      createdAt: new Date(Date.now() + next).toISOString(),
      deleted: false,
      updatedAt: '',
      updatedBy: author,
      author,
      mine,
    };
    state.bookings.push(booking);
    return booking;
  };
  const holds = (b: Booking) => b.status === 'pending' || b.status === 'confirmed';
  const overlaps = (a: { start: string; end: string }, b: { start: string; end: string }) =>
    new Date(a.start) < new Date(b.end) && new Date(b.start) < new Date(a.end);
  const resource = (id: unknown) => {
    const found = state.resources.find((r) => r.id === id);
    if (!found) throw { code: 'not_found', message: `no resource ${String(id)}` };
    return found;
  };
  const booking = (id: unknown) => {
    const found = state.bookings.find((b) => b.id === id);
    if (!found) throw { code: 'not_found', message: `no booking ${String(id)}` };
    return found;
  };
  const check = (input: BookingInput, except?: string) => {
    if (new Date(input.end) <= new Date(input.start)) throw { code: 'end_before_start', message: 'end before start' };
    const r = resource(input.resource);
    if (r.maxMinutes > 0 && new Date(input.end).getTime() - new Date(input.start).getTime() > r.maxMinutes * 60000) {
      throw { code: 'booking_too_long', message: 'too long' };
    }
    const taken = state.bookings.find((b) => b.id !== except && b.resource === input.resource && holds(b) && overlaps(b, input));
    if (taken) throw { code: 'booking_conflict', message: `already booked (${taken.title})` };
  };

  backend.handlers.set('list_resources', (args: Args) => state.resources.filter((r) => r.deleted === Boolean(args.deleted)));
  backend.handlers.set('add_resource', (args: Args) => {
    const input = args.resource as ResourceInput;
    if (!input.name.trim()) throw { code: 'empty_title', message: 'empty' };
    const made: Resource = {
      ...input,
      id: `resource-${next++}`,
      space: String(args.space),
      managerDevice: backend.info.deviceId,
      canManage: true,
      deleted: false,
      updatedAt: '',
      updatedBy: '',
    };
    state.resources.push(made);
    return made;
  });
  backend.handlers.set('update_resource', (args: Args) => {
    const r = resource(args.id);
    Object.assign(r, args.resource as ResourceInput);
    return r;
  });
  backend.handlers.set('set_resource_deleted', (args: Args) => {
    const r = resource(args.id);
    r.deleted = Boolean(args.deleted);
    return r;
  });
  backend.handlers.set('book', (args: Args) => {
    const input = args.booking as BookingInput;
    check(input);
    return create(input, resource(input.resource).confirm ? 'pending' : 'confirmed', 'Camille Martin', true);
  });
  backend.handlers.set('get_booking', (args: Args) => booking(args.id));
  backend.handlers.set('move_booking', (args: Args) => {
    const b = booking(args.id);
    const input = args.booking as BookingInput;
    check(input, b.id);
    Object.assign(b, input);
    return b;
  });
  backend.handlers.set('decide_booking', (args: Args) => {
    const b = booking(args.id);
    const to = { confirm: 'confirmed', refuse: 'refused', cancel: 'cancelled' } as const;
    if (args.decision === 'accept_overlap') b.overlapOk = true;
    else b.status = to[args.decision as keyof typeof to];
    return b;
  });
  backend.handlers.set('list_booking_slots', (args: Args) => {
    const filter = (args.filter ?? {}) as { resource?: string | null; from?: string | null; to?: string | null };
    const shown = state.bookings.filter(
      (b) =>
        (!filter.resource || b.resource === filter.resource) &&
        (!filter.from || new Date(b.end) > new Date(filter.from)) &&
        (!filter.to || new Date(b.start) < new Date(filter.to)),
    );
    return shown
      .map((b): Slot => {
        const earlier = state.bookings.filter(
          (o) => o.id !== b.id && o.resource === b.resource && holds(o) && holds(b) && overlaps(o, b) && o.createdAt < b.createdAt,
        );
        const conflict = earlier.length > 0 && !b.overlapOk;
        return {
          id: b.id,
          occurrence: 0,
          resource: b.resource,
          resourceName: resource(b.resource).name,
          title: b.title,
          start: new Date(b.start).toISOString(),
          end: new Date(b.end).toISOString(),
          status: conflict ? 'conflict' : b.status,
          conflictsWith: conflict ? earlier.map((o) => o.id) : [],
          recurring: b.repeatUntil !== '',
          authorDevice: '',
          author: b.author,
          mine: b.mine,
        };
      })
      .sort((a, b) => a.start.localeCompare(b.start));
  });
  return state;
}

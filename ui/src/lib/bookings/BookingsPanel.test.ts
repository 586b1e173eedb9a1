import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { toRfc3339 } from '../agenda/dates';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import BookingsPanel from './BookingsPanel.svelte';
import { installBookings, type FakeBookings } from './fake';

let backend: FakeBackend;
let bookings: FakeBookings;
let space: Space;

beforeEach(() => {
  backend = new FakeBackend().install();
  bookings = installBookings(backend);
  space = backend.addSpace('Mairie');
});

const today = (h: number, m = 0) => {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, m);
};

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

describe('BookingsPanel', () => {
  it('adds a room, books it, and refuses an overlapping booking with nothing stored', async () => {
    render(BookingsPanel, { space });
    await screen.findByTestId('bookings-empty');
    await fireEvent.click(screen.getByTestId('resource-new'));
    await fill('resource-name', 'Salle du conseil');
    await fill('resource-capacity', '40');
    await fireEvent.click(screen.getByTestId('resource-submit'));
    await screen.findByTestId('bookings-row');

    await fireEvent.click(screen.getByTestId('booking-new'));
    await fill('booking-title', 'Conseil municipal');
    await fill('booking-start', '18:00');
    await fill('booking-end', '20:00');
    await fireEvent.click(screen.getByTestId('booking-submit'));
    const block = await screen.findByTestId('booking-block');
    expect(block.textContent).toContain('Conseil municipal');
    expect(block.dataset.status).toBe('confirmed');

    await fireEvent.click(screen.getByTestId('booking-new'));
    await fill('booking-title', 'Doublon');
    await fill('booking-start', '19:00');
    await fill('booking-end', '21:00');
    await fireEvent.click(screen.getByTestId('booking-submit'));
    const alert = await within(screen.getByTestId('booking-dialog')).findByTestId('error-message');
    expect(alert.textContent).toContain('Ce créneau est déjà réservé');
    expect(bookings.bookings).toHaveLength(1);
  });

  it('shows a booking made offline elsewhere in conflict and lets the manager refuse it', async () => {
    const room = (await backend.handlers.get('add_resource')!({ space: space.id, resource: {
      name: 'Salle des fêtes', kind: 'room', capacity: 0, location: '', description: '', maxMinutes: 0,
      confirm: false, divisible: false, bookRole: 'editor',
    } })) as { id: string };
    bookings.arrive({ resource: room.id, title: 'Loto', start: toRfc3339(today(14)), end: toRfc3339(today(18)), repeatUntil: '' }, 'Anne');
    bookings.arrive({ resource: room.id, title: 'Gym', start: toRfc3339(today(17)), end: toRfc3339(today(19)), repeatUntil: '' }, 'Bruno');
    render(BookingsPanel, { space });
    await waitFor(() => expect(screen.getAllByTestId('booking-block')).toHaveLength(2));
    const conflicted = screen.getAllByTestId('booking-block').find((b) => b.dataset.status === 'conflict');
    expect(conflicted?.textContent).toContain('Gym');
    await fireEvent.click(conflicted!);
    const details = screen.getByTestId('booking-details');
    expect(within(details).getByTestId('booking-conflict').textContent).toContain('« Loto » (Anne)');
    expect(within(details).queryByTestId('booking-accept_overlap')).toBeNull();
    await fireEvent.click(within(details).getByTestId('booking-refuse'));
    await waitFor(() => expect(screen.getByTestId('booking-status').textContent).toBe('Refusée'));
    expect(bookings.bookings.find((b) => b.title === 'Gym')?.status).toBe('refused');
  });

  it('offers no change to a reader', async () => {
    render(BookingsPanel, { space, readonly: true });
    await screen.findByTestId('bookings-empty');
    expect(screen.queryByTestId('booking-new')).toBeNull();
    expect(screen.queryByTestId('resource-new')).toBeNull();
  });

  it('moves a weekly booking as a whole series', async () => {
    const room = (await backend.handlers.get('add_resource')!({ space: space.id, resource: {
      name: 'Salle polyvalente', kind: 'room', capacity: 0, location: '', description: '', maxMinutes: 0,
      confirm: false, divisible: false, bookRole: 'editor',
    } })) as { id: string };
    const made = bookings.arrive(
      { resource: room.id, title: 'Gym douce', start: toRfc3339(today(14)), end: toRfc3339(today(16)), repeatUntil: '2099-06-30' },
      'Camille Martin',
    );
    made.mine = true;
    render(BookingsPanel, { space });
    await fireEvent.click(await screen.findByTestId('booking-block'));
    await fireEvent.click(screen.getByTestId('booking-move'));
    expect((await screen.findByTestId('booking-until') as HTMLInputElement).value).toBe('2099-06-30');
    await fill('booking-start', '15:00');
    await fill('booking-end', '17:00');
    await fireEvent.click(screen.getByTestId('booking-submit'));
    await waitFor(() => expect(new Date(made.start).getHours()).toBe(15));
    expect(made.repeatUntil).toBe('2099-06-30');
  });
});

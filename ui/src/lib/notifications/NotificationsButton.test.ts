import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../fake-backend';
import NotificationsButton from './NotificationsButton.svelte';

let backend: FakeBackend;

beforeEach(() => {
  backend = new FakeBackend().install();
  const space = backend.addSpace('Mairie');
  backend.notifications.push(
    { id: 1, space: space.id, spaceName: 'Mairie', item: 'i1', module: 'Documents', body: '« Budget » attend votre approbation', at: '2027-01-12T08:00:00Z', read: false },
    { id: 2, space: space.id, spaceName: 'Mairie', item: 'i2', module: 'Réservations', body: 'Conflit de réservation', at: '2027-01-12T09:00:00Z', read: false },
  );
});

describe('NotificationsButton', () => {
  it('counts the unread, lists them newest first, marks them read, and leads to the space', async () => {
    const onpick = vi.fn();
    render(NotificationsButton, { onpick });
    await waitFor(() => expect(screen.getByTestId('notifications-unread').textContent).toBe('2'));
    await fireEvent.click(screen.getByTestId('notifications-open'));
    const items = await screen.findAllByTestId('notification');
    expect(items.map((i) => i.textContent)).toEqual([
      expect.stringContaining('Conflit de réservation'),
      expect.stringContaining('attend votre approbation'),
    ]);
    await waitFor(() => expect(backend.notifications.every((n) => n.read)).toBe(true));
    await fireEvent.click(items[1].querySelector('button')!);
    expect(onpick).toHaveBeenCalledWith(expect.objectContaining({ item: 'i1' }));
    await waitFor(() => expect(screen.queryByTestId('notifications-unread')).toBeNull());
  });
});

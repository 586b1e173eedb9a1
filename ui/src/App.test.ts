import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { FakeBackend } from './lib/fake-backend';

let backend: FakeBackend;
beforeEach(() => {
  backend = new FakeBackend().install();
});

describe('App', () => {
  it('welcomes a first launch and creates the first space with the default relay', async () => {
    render(App);
    await screen.findByTestId('welcome');
    await fireEvent.click(screen.getByTestId('welcome-create'));
    expect((screen.getByTestId('space-relay') as HTMLInputElement).value).toBe('relais.test:4433');
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Pays — agents' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));

    await waitFor(() => expect(screen.getAllByTestId('space-item')).toHaveLength(1));
    expect(screen.getByTestId('space-item').textContent).toContain('Pays — agents');
    expect(screen.getByTestId('space-item').getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('space-title').textContent).toBe('Pays — agents');
    expect(screen.queryByTestId('welcome')).toBeNull();
  });

  it('opens on the space selected last time', async () => {
    backend.addSpace('Élus');
    const sante = backend.addSpace('Santé');
    localStorage.setItem('bastide.selectedSpace', sante.id);
    render(App);
    expect((await screen.findByTestId('space-title')).textContent).toBe('Santé');
  });

  it('switches spaces from the sidebar', async () => {
    backend.addSpace('Élus');
    backend.addSpace('Tourisme');
    render(App);
    await screen.findByTestId('space-title');
    await fireEvent.click(screen.getAllByTestId('space-item')[1]);
    expect(screen.getByTestId('space-title').textContent).toBe('Tourisme');
  });

  it('shows the sync status and follows the backend events', async () => {
    backend.status = { online: false, pending: 2, lastError: null, lastSync: null };
    render(App);
    await waitFor(() => expect(screen.getByTestId('status-online').textContent?.trim()).toBe('Hors ligne'));
    expect(screen.getByTestId('status-pending').textContent?.trim()).toBe('2 modifications en attente');

    await backend.push({ type: 'syncStatus', online: true, pending: 0, lastError: null, lastSync: '2026-12-01T14:05:00+01:00' });
    await waitFor(() => expect(screen.getByTestId('status-online').textContent?.trim()).toBe('En ligne'));
    expect(screen.getByTestId('status-pending').textContent?.trim()).toBe('Aucune modification en attente');
  });

  it('refreshes the agenda when the backend reports changed items of the shown space', async () => {
    const space = backend.addSpace('Pays — agents');
    render(App);
    await fireEvent.click(await screen.findByTestId('tab-list'));
    await screen.findByTestId('event-list-empty');

    const event = backend.addEventTo(space.id, {
      title: 'Comité de pilotage',
      start: '2026-12-04T10:00:00+01:00',
      end: '2026-12-04T12:00:00+01:00',
    });
    await backend.push({ type: 'itemsChanged', space: space.id, ids: [event.id] });
    await waitFor(() => expect(screen.getByTestId('event-row').textContent).toContain('Comité de pilotage'));
  });

  it('lists a space that appears through the backend (joined elsewhere)', async () => {
    backend.addSpace('Élus');
    render(App);
    await screen.findByTestId('space-title');
    const joined = backend.addSpace('Santé');
    await backend.push({ type: 'itemsChanged', space: joined.id, ids: [] });
    await waitFor(() => expect(screen.getAllByTestId('space-item')).toHaveLength(2));
  });

  it('shows why loading failed and retries', async () => {
    backend.failures.set('list_spaces', { code: 'internal', message: 'database is locked' });
    render(App);
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toContain('erreur inattendue');
    expect(error.textContent).toContain('database is locked');
    await fireEvent.click(screen.getByText('Réessayer'));
    await screen.findByTestId('welcome');
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
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
    await fireEvent.input(screen.getByTestId('create-me-name'), { target: { value: 'Claire Martin' } });
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

  it('shows the members of the space, the creator as Administrateur', async () => {
    render(App);
    await fireEvent.click(await screen.findByTestId('welcome-create'));
    await fireEvent.input(screen.getByTestId('space-name'), { target: { value: 'Pays — agents' } });
    await fireEvent.input(screen.getByTestId('create-me-name'), { target: { value: 'Claire Martin' } });
    await fireEvent.input(screen.getByTestId('create-me-organisation'), { target: { value: 'Pays de la Bastide' } });
    await fireEvent.input(screen.getByTestId('create-me-function'), { target: { value: 'Chargée de mission' } });
    await fireEvent.click(screen.getByTestId('create-space-submit'));
    await fireEvent.click(await screen.findByTestId('view-members'));
    const row = await screen.findByTestId('member-row');
    expect(row.textContent).toContain('Claire Martin');
    expect(row.textContent).toContain('Pays de la Bastide');
    expect(row.textContent).toContain('Chargée de mission');
    expect(within(row).getByTestId('member-me')).toBeTruthy();
    expect((within(row).getByTestId('member-role') as HTMLSelectElement).selectedOptions[0].textContent).toBe(
      'Administrateur',
    );
  });

  it('joins a space saying who one is, and lists it', async () => {
    const code = backend.offerInvite('Élus du Pays', 'validator');
    render(App);
    await fireEvent.click(await screen.findByTestId('welcome-join'));
    await fireEvent.input(screen.getByTestId('join-code'), { target: { value: code } });
    await fireEvent.input(screen.getByTestId('join-name'), { target: { value: 'Alix Durand' } });
    await fireEvent.click(screen.getByTestId('join-space-submit'));
    await waitFor(() => expect(screen.getByTestId('space-title').textContent).toBe('Élus du Pays'));
    await waitFor(() => expect(screen.getByTestId('my-role').textContent).toBe('Validateur (élu)'));
    expect(screen.queryByTestId('invite-open')).toBeNull();
  });

  it('becomes a second device from the welcome screen', async () => {
    const code = backend.offerDevice(['Pays — agents', 'Élus']);
    render(App);
    await fireEvent.click(await screen.findByTestId('welcome-device-join'));
    await fireEvent.input(screen.getByTestId('device-join-code'), { target: { value: code } });
    await fireEvent.click(screen.getByTestId('device-join-submit'));
    await waitFor(() => expect(screen.getAllByTestId('space-item')).toHaveLength(2));
    expect(screen.getByTestId('space-title').textContent).toBe('Pays — agents');
    expect(screen.queryByTestId('device-join-dialog')).toBeNull();
  });

  it('offers "Ajouter un appareil" once there is a space, "Second appareil" before', async () => {
    render(App);
    await screen.findByTestId('welcome');
    expect(screen.getByTestId('device-join-open')).toBeTruthy();
    expect(screen.queryByTestId('device-add-open')).toBeNull();
    backend.addSpace('Élus');
    await backend.push({ type: 'itemsChanged', space: backend.spaces[0].id, ids: [] });
    await fireEvent.click(await screen.findByTestId('device-add-open'));
    expect((await screen.findByTestId('device-code')).textContent).toMatch(/^BSTD1-/);
    expect(screen.queryByTestId('device-join-open')).toBeNull();
  });

  it('draws the sidebar buttons with plain characters, not emoji', async () => {
    backend.addSpace('Élus');
    render(App);
    await screen.findByTestId('device-add-open');
    const glyphs = ['create-space-open', 'join-space-open', 'device-add-open'].map(
      (id) => screen.getByTestId(id).querySelector('[aria-hidden="true"]')?.textContent,
    );
    expect(glyphs).toEqual(['+', '↘', '+']);
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

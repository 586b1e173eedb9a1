import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import SpaceView from './SpaceView.svelte';

let backend: FakeBackend;
beforeEach(() => {
  backend = new FakeBackend().install();
});

describe('SpaceView', () => {
  it('shows the relay as host:port, the full address in the tooltip', async () => {
    const address = `quic://127.0.0.1:55568#${'ba01b7e4'.repeat(8)}`;
    const far = backend.addSpace('Élus', address);
    render(SpaceView, { space: far });
    const relay = screen.getByTestId('agenda-relay');
    expect(relay.textContent).toBe('127.0.0.1:55568');
    expect(relay.closest('[title]')?.getAttribute('title')).toBe(address);
    expect(screen.getByTestId('space-title').closest('header')?.textContent).not.toContain('ba01b7e4');
  });

  it('lets an administrator invite: role and validity first, then the code', async () => {
    const space = backend.addSpace('Pays — agents');
    render(SpaceView, { space });
    expect((await screen.findByTestId('my-role')).textContent).toBe('Administrateur');
    await fireEvent.click(await screen.findByTestId('invite-open'));
    await fireEvent.click(screen.getByTestId('invite-submit'));
    const code = await screen.findByTestId('invite-code');
    expect(code.textContent).toMatch(/^BSTD1-/);
    expect(backend.callsOf('invite_code')).toEqual([{ space: space.id, role: 'editor', expiresDays: 7 }]);
  });

  it('offers neither invitation nor new event to a reader', async () => {
    const space = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    render(SpaceView, { space });
    await waitFor(() => expect(screen.getByTestId('my-role').textContent).toBe('Lecteur'));
    expect(screen.queryByTestId('invite-open')).toBeNull();
    expect(screen.queryByTestId('event-add-open')).toBeNull();
  });

  it('offers a new event but no invitation to an editor', async () => {
    const space = backend.addSpace('Élus', 'relais.test:4433', 'editor');
    render(SpaceView, { space });
    await waitFor(() => expect(screen.getByTestId('my-role').textContent).toBe('Rédacteur (agent)'));
    expect(screen.queryByTestId('invite-open')).toBeNull();
    expect(screen.getByTestId('event-add-open')).toBeTruthy();
  });

  it('switches between the agenda and the members, and counts the members', async () => {
    const space = backend.addSpace('Pays — agents');
    backend.addMember(space.id, { name: 'Alix Durand' });
    backend.addMember(space.id, { name: 'Zoé Ancienne', removed: true });
    render(SpaceView, { space });
    expect(screen.getByTestId('view-agenda').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId('tab-month')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('view-members').textContent).toBe('Membres (2)'));

    await fireEvent.click(screen.getByTestId('view-members'));
    expect(screen.getByTestId('view-members').getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByTestId('tab-month')).toBeNull();
    await screen.findByTestId('members-table');
    const me = screen.getAllByTestId('member-row').find((r) => within(r).queryByTestId('member-me'));
    expect((within(me!).getByTestId('member-role') as HTMLSelectElement).selectedOptions[0].textContent).toBe(
      'Administrateur',
    );
    // Invitation stays at hand from the members list.
    expect(screen.getByTestId('invite-open')).toBeTruthy();

    await fireEvent.keyDown(screen.getByTestId('view-members'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('view-board').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-board'), { key: 'Home' });
    expect(screen.getByTestId('view-agenda').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-agenda'), { key: 'End' });
    expect(screen.getByTestId('view-members').getAttribute('aria-selected')).toBe('true');
    await fireEvent.click(screen.getByTestId('view-cantine'));
    expect(screen.getByTestId('view-cantine').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-cantine'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('view-bookings').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-bookings'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('view-forum').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-forum'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('view-documents').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-documents'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('view-directory').getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(screen.getByTestId('view-directory'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('view-agenda').getAttribute('aria-selected')).toBe('true');
  });

  it('shows the directory as the second view, then documents, forum and the daily services', async () => {
    const space = backend.addSpace('Pays — santé');
    backend.addCardTo(space.id, { name: 'Dr Anne Roux', organisation: 'Maison de santé de Cajarc' });
    render(SpaceView, { space });
    const views = screen.getByRole('tablist', { name: 'Parties de l’espace' });
    expect(within(views).getAllByRole('tab').map((t) => t.textContent?.trim())).toEqual([
      'Agenda',
      'Annuaire',
      'Documents',
      'Forum',
      'Réservations',
      'Cantine',
      'Sondages',
      'Planning',
      'Annonces',
      'Membres',
    ]);
    await fireEvent.click(screen.getByTestId('view-directory'));
    expect(screen.getByTestId('view-directory').getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByTestId('tab-month')).toBeNull();
    expect((await screen.findByTestId('card-item')).textContent).toContain('Dr Anne Roux');
    expect(screen.getByTestId('card-add-open')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('view-agenda'));
    expect(screen.getByTestId('tab-month')).toBeTruthy();
  });

  it('offers no new card to a reader, the role coming from the members list', async () => {
    const space = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    render(SpaceView, { space });
    await waitFor(() => expect(screen.getByTestId('my-role').textContent).toBe('Lecteur'));
    await fireEvent.click(screen.getByTestId('view-directory'));
    await screen.findByTestId('directory-empty');
    expect(screen.queryByTestId('card-add-open')).toBeNull();
  });

  it('lists in the members view the invitation just made there', async () => {
    const space = backend.addSpace('Pays — agents');
    render(SpaceView, { space });
    await fireEvent.click(screen.getByTestId('view-members'));
    expect((await screen.findByTestId('invitations-empty')).textContent).toContain('Aucune invitation');
    await fireEvent.click(screen.getByTestId('invite-open'));
    await fireEvent.change(screen.getByTestId('invite-role'), { target: { value: 'validator' } });
    await fireEvent.click(screen.getByTestId('invite-submit'));
    await screen.findByTestId('invite-code');
    await fireEvent.click(screen.getByTestId('modal-close'));
    const row = await screen.findByTestId('invitation-row');
    expect(row.dataset.state).toBe('open');
    expect(within(row).getByTestId('invitation-for').textContent).toBe('Nouvelle personne — Validateur (élu)');
  });

  it('follows a role change made in the members list', async () => {
    const space = backend.addSpace('Pays — agents');
    backend.addMember(space.id, { name: 'Alix Durand', role: 'admin' });
    render(SpaceView, { space });
    await fireEvent.click(screen.getByTestId('view-members'));
    await screen.findByTestId('members-table');
    const me = screen.getAllByTestId('member-row').find((r) => within(r).queryByTestId('member-me'))!;
    await fireEvent.change(within(me).getByTestId('member-role'), { target: { value: 'reader' } });
    await fireEvent.click(screen.getByTestId('member-confirm-submit'));
    await waitFor(() => expect(screen.getByTestId('my-role').textContent).toBe('Lecteur'));
    expect(screen.queryByTestId('invite-open')).toBeNull();
  });

  it('says so when this person was removed from the space, and offers no change', async () => {
    const space = backend.addSpace('Pays — agents', 'relais.test:4433', 'editor');
    backend.myself(space.id).removed = true;
    render(SpaceView, { space });
    expect((await screen.findByTestId('space-removed')).textContent).toContain('vous a retiré de cet espace');
    expect(screen.queryByTestId('event-add-open')).toBeNull();
    expect(screen.queryByTestId('my-role')).toBeNull();
  });
});

describe('SpaceView notifications', () => {
  it('mutes and restores the desktop notifications of the space', async () => {
    const space = backend.addSpace('Mairie');
    render(SpaceView, { space });
    const button = await screen.findByTestId('space-mute');
    expect(button.textContent).toBe('Couper les notifications');
    await fireEvent.click(button);
    await waitFor(() => expect(screen.getByTestId('space-mute').textContent).toBe('Rétablir les notifications'));
    expect(backend.muted.has(space.id)).toBe(true);
    await fireEvent.click(screen.getByTestId('space-mute'));
    await waitFor(() => expect(backend.muted.has(space.id)).toBe(false));
  });
});

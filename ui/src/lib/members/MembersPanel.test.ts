import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Member, Space } from '../types';
import MembersPanel from './MembersPanel.svelte';

let backend: FakeBackend;
let space: Space;
let alix: Member;
let bruno: Member;

/** Device ids as the backend gives them: 64 hex characters. */
const THIS_COMPUTER = 'c0ffee01' + '0'.repeat(56);
const MY_LAPTOP = 'b16b00b5' + '1'.repeat(56);
const ALIX_DESKTOP = 'a11ce001' + '2'.repeat(56);
const ALIX_PHONE = 'a11ce002' + '3'.repeat(56);

beforeEach(() => {
  backend = new FakeBackend().install();
  backend.info.deviceId = THIS_COMPUTER;
});

/** A space where this device's person (Camille Martin) has `role`, with two others and a former member. */
function populate(role: Member['role']) {
  space = backend.addSpace('Pays — agents', 'relais.test:4433', role);
  alix = backend.addMember(space.id, {
    name: 'Alix Durand',
    organisation: 'Commune de Lavaur',
    function: 'Maire',
    role: 'validator',
    devices: [ALIX_DESKTOP, ALIX_PHONE],
  });
  bruno = backend.addMember(space.id, { name: 'Bruno Petit', organisation: 'Office de tourisme', role: 'editor' });
  backend.addMember(space.id, { name: 'Zoé Ancienne', function: 'Stagiaire', role: 'editor', removed: true });
}

async function rows(): Promise<HTMLElement[]> {
  await screen.findByTestId('members-table');
  return screen.getAllByTestId('member-row');
}

function rowOf(name: string): HTMLElement {
  const row = screen.getAllByTestId('member-row').find((r) => within(r).getByTestId('member-name').textContent === name);
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

/** The unfolded devices of a member (a row of its own under the member's). */
function devicesOf(name: string): HTMLElement | null {
  const id = rowOf(name).dataset.memberId;
  return document.querySelector(`[data-testid="member-devices-list"][data-member-id="${id}"]`);
}

async function unfold(name: string): Promise<HTMLElement> {
  const toggle = within(rowOf(name)).getByTestId('member-devices-toggle');
  expect(toggle.getAttribute('aria-expanded')).toBe('false');
  await fireEvent.click(toggle);
  expect(toggle.getAttribute('aria-expanded')).toBe('true');
  const list = devicesOf(name);
  if (!list) throw new Error(`no devices shown for ${name}`);
  return list;
}

/** The short ids of the device rows, with " (cet ordinateur)" and " [Retirer]" where shown. */
function deviceRows(list: HTMLElement): string[] {
  return within(list)
    .getAllByTestId('device-row')
    .map(
      (row) =>
        row.querySelector('.mono')!.textContent +
        (within(row).queryByTestId('device-this') ? ` (${within(row).getByTestId('device-this').textContent})` : '') +
        (within(row).queryByTestId('device-remove') ? ' [Retirer]' : ''),
    );
}

async function invitationRows(): Promise<HTMLElement[]> {
  const section = await screen.findByTestId('invitations-section');
  await waitFor(() => expect(within(section).queryByText('Chargement des invitations…')).toBeNull());
  return within(section).queryAllByTestId('invitation-row');
}

describe('MembersPanel', () => {
  it('lists the members by name with organisation, function, role and devices', async () => {
    populate('reader');
    render(MembersPanel, { space });
    const list = await rows();
    expect(list.map((r) => within(r).getByTestId('member-name').textContent)).toEqual([
      'Alix Durand',
      'Bruno Petit',
      'Camille Martin',
    ]);
    const alixRow = rowOf('Alix Durand');
    expect(alixRow.textContent).toContain('Commune de Lavaur');
    expect(alixRow.textContent).toContain('Maire');
    expect(within(alixRow).getByTestId('member-role-label').textContent).toBe('Validateur (élu)');
    expect(within(alixRow).getByTestId('member-devices').textContent).toBe('2 appareils');
    expect(within(rowOf('Bruno Petit')).getByTestId('member-devices').textContent).toBe('1 appareil');
    expect(within(rowOf('Camille Martin')).getByTestId('member-me').textContent).toBe('vous');
    expect(within(rowOf('Camille Martin')).getByTestId('member-role-label').textContent).toBe('Lecteur');
  });

  it('shows former members apart, greyed, with what they were', async () => {
    populate('editor');
    render(MembersPanel, { space });
    await rows();
    expect(screen.getAllByTestId('member-row').map((r) => r.textContent)).not.toEqual(
      expect.arrayContaining([expect.stringContaining('Zoé Ancienne')]),
    );
    const former = screen.getByTestId('members-former');
    expect(former.querySelector('h2')?.textContent).toBe('Anciens membres');
    const row = within(former).getByTestId('former-member-row');
    expect(row.textContent).toContain('Zoé Ancienne');
    expect(row.textContent).toContain('Stagiaire · Rédacteur (agent)');
  });

  it('shows a reader the list read-only: no role select, no remove button', async () => {
    populate('reader');
    render(MembersPanel, { space });
    await rows();
    expect(screen.getByTestId('members-readonly').textContent).toContain('Seuls les administrateurs');
    expect(screen.queryAllByTestId('member-role')).toEqual([]);
    expect(screen.queryAllByTestId('member-remove')).toEqual([]);
  });

  it('gives an administrator a role select and a remove button per member', async () => {
    populate('admin');
    render(MembersPanel, { space });
    await rows();
    expect(screen.queryByTestId('members-readonly')).toBeNull();
    const select = within(rowOf('Alix Durand')).getByTestId('member-role') as HTMLSelectElement;
    expect(select.value).toBe('validator');
    expect(select.selectedOptions[0].textContent).toBe('Validateur (élu)');
    expect(within(rowOf('Alix Durand')).getByTestId('member-remove').textContent?.trim()).toBe('Retirer');
    expect(within(rowOf('Bruno Petit')).getByTestId('member-remove')).toBeTruthy();
  });

  it('changes a role', async () => {
    populate('admin');
    render(MembersPanel, { space });
    await rows();
    await fireEvent.change(within(rowOf('Bruno Petit')).getByTestId('member-role'), { target: { value: 'reader' } });
    await waitFor(() => expect(backend.callsOf('set_role')).toEqual([{ space: space.id, member: bruno.id, role: 'reader' }]));
    await waitFor(() => expect(rowOf('Bruno Petit').dataset.role).toBe('reader'));
  });

  it('does not offer to remove, nor to demote, the only administrator', async () => {
    populate('admin');
    render(MembersPanel, { space });
    await rows();
    const me = rowOf('Camille Martin');
    expect(within(me).queryByTestId('member-remove')).toBeNull();
    expect((within(me).getByTestId('member-role') as HTMLSelectElement).disabled).toBe(true);
  });

  it('asks before removing, and does nothing when cancelled', async () => {
    populate('admin');
    render(MembersPanel, { space });
    await rows();
    await fireEvent.click(within(rowOf('Alix Durand')).getByTestId('member-remove'));
    expect(screen.getByTestId('member-confirm-text').textContent).toBe(
      'Retirer Alix Durand de l’espace ? Ses appareils ne recevront plus rien ; ce qu’il a écrit reste.',
    );
    await fireEvent.click(screen.getByTestId('member-confirm-cancel'));
    expect(screen.queryByTestId('member-confirm')).toBeNull();
    expect(backend.callsOf('remove_member')).toEqual([]);

    await fireEvent.click(within(rowOf('Alix Durand')).getByTestId('member-remove'));
    await fireEvent.click(screen.getByTestId('member-confirm-submit'));
    await waitFor(() => expect(screen.queryByTestId('member-confirm')).toBeNull());
    expect(backend.callsOf('remove_member')).toEqual([{ space: space.id, member: alix.id }]);
    await waitFor(() =>
      expect(screen.getAllByTestId('former-member-row').map((r) => r.textContent)).toEqual(
        expect.arrayContaining([expect.stringContaining('Alix Durand')]),
      ),
    );
    expect(screen.getAllByTestId('member-row')).toHaveLength(2);
  });

  it('shows in French why the last administrator cannot be removed', async () => {
    populate('admin');
    // Two administrators here, so removing Alix is offered; but the backend has seen a
    // change not shown yet (the other one was demoted elsewhere) and refuses.
    alix.role = 'admin';
    render(MembersPanel, { space });
    await rows();
    backend.failures.set('remove_member', { code: 'last_admin', message: 'space would have no admin' });
    await fireEvent.click(within(rowOf('Alix Durand')).getByTestId('member-remove'));
    await fireEvent.click(screen.getByTestId('member-confirm-submit'));
    const error = await within(screen.getByTestId('member-confirm')).findByTestId('error-message');
    expect(error.textContent).toContain('Un espace doit garder au moins un administrateur');
    expect(error.textContent).toContain('space would have no admin');
    expect(screen.getAllByTestId('member-row')).toHaveLength(3);
  });

  it('shows the last_admin refusal of a role change and puts the select back', async () => {
    populate('admin');
    alix.role = 'admin';
    render(MembersPanel, { space });
    await rows();
    backend.failures.set('set_role', { code: 'last_admin', message: 'no admin left' });
    const select = within(rowOf('Alix Durand')).getByTestId('member-role') as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: 'editor' } });
    expect((await screen.findByTestId('error-message')).textContent).toContain('au moins un administrateur');
    expect(select.value).toBe('admin');
  });

  it('asks before an administrator gives up the role', async () => {
    populate('admin');
    alix.role = 'admin';
    render(MembersPanel, { space });
    await rows();
    const select = within(rowOf('Camille Martin')).getByTestId('member-role') as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: 'editor' } });
    expect(screen.getByTestId('member-confirm-text').textContent).toContain('Vous ne pourrez plus inviter');
    expect(backend.callsOf('set_role')).toEqual([]);
    await fireEvent.click(screen.getByTestId('member-confirm-submit'));
    await waitFor(() => expect(backend.callsOf('set_role')).toEqual([{ space: space.id, member: 'member-me', role: 'editor' }]));
    // Now an editor: the list turns read-only.
    await screen.findByTestId('members-readonly');
    expect(screen.queryAllByTestId('member-remove')).toEqual([]);
  });

  it('reports every list it loads, and reloads when the version changes', async () => {
    populate('editor');
    const onmembers = vi.fn();
    const view = render(MembersPanel, { space, version: 0, onmembers });
    await rows();
    expect(onmembers).toHaveBeenCalledTimes(1);
    backend.addMember(space.id, { name: 'Dana Nouvelle' });
    await view.rerender({ space, version: 1, onmembers });
    await waitFor(() => expect(screen.getAllByTestId('member-row')).toHaveLength(4));
    expect(onmembers).toHaveBeenCalledTimes(2);
  });

  it('shows why the list could not be loaded', async () => {
    populate('editor');
    backend.failures.set('space_members', { code: 'not_member', message: 'removed' });
    render(MembersPanel, { space });
    expect((await screen.findByTestId('error-message')).textContent).toContain('ne fait plus partie de cet espace');
  });

  describe('invitations', () => {
    it('lists them for an administrator: for whom, until when, in what state', async () => {
      populate('admin');
      backend.addInvitation(space.id, { role: 'validator', expires: '2099-10-01T10:00:00Z', used: true });
      backend.addInvitation(space.id, { role: 'editor', expires: '2099-11-30T13:05:00Z' });
      backend.addInvitation(space.id, { role: 'reader', expires: '2099-09-01T10:00:00Z', revoked: true });
      backend.addInvitation(space.id, { role: 'editor', expires: '2020-01-15T09:30:00Z' });
      backend.addInvitation(space.id, { forDevice: true, expires: '2099-11-20T08:00:00Z' });
      render(MembersPanel, { space });
      const list = await invitationRows();
      expect(screen.getByTestId('invitations-section').querySelector('h2')?.textContent).toBe('Invitations');
      // Newest expiry first, as the backend gives them; times in Paris (vite.config.ts).
      expect(
        list.map((row) =>
          [
            row.dataset.state,
            within(row).getByTestId('invitation-for').textContent,
            within(row).getByTestId('invitation-expiry').textContent,
            within(row).getByTestId('invitation-state').textContent,
            within(row).queryByTestId('invitation-revoke')?.textContent?.trim() ?? '-',
          ].join(' | '),
        ),
      ).toEqual([
        'open | Nouvelle personne — Rédacteur (agent) | expire le 30/11/2099 14:05 | ouverte | Retirer',
        'open | Second appareil | expire le 20/11/2099 09:00 | ouverte | Retirer',
        'used | Nouvelle personne — Validateur (élu) | expire le 01/10/2099 12:00 | utilisée | -',
        'revoked | Nouvelle personne — Lecteur | expire le 01/09/2099 12:00 | retirée | -',
        'expired | Nouvelle personne — Rédacteur (agent) | expirée le 15/01/2020 10:30 | expirée | -',
      ]);
    });

    it('says when there is none', async () => {
      populate('admin');
      render(MembersPanel, { space });
      expect(await invitationRows()).toEqual([]);
      expect(screen.getByTestId('invitations-empty').textContent).toContain('Aucune invitation');
    });

    it('are not shown to anyone but administrators', async () => {
      populate('validator');
      backend.addInvitation(space.id);
      render(MembersPanel, { space });
      await rows();
      expect(screen.queryByTestId('invitations-section')).toBeNull();
      expect(backend.callsOf('list_invitations')).toEqual([]);
    });

    it('withdraws an open one after asking, then shows it withdrawn', async () => {
      populate('admin');
      const invitation = backend.addInvitation(space.id, { role: 'validator', expires: '2099-11-30T13:05:00Z' });
      render(MembersPanel, { space });
      const [row] = await invitationRows();
      await fireEvent.click(within(row).getByTestId('invitation-revoke'));
      expect(screen.getByTestId('invitation-confirm-which').textContent?.replace(/\s+/g, ' ').trim()).toBe(
        'Nouvelle personne — Validateur (élu) · expire le 30/11/2099 14:05',
      );
      expect(screen.getByTestId('invitation-confirm-text').textContent).toBe(
        'Retirer cette invitation ? Le code ne fonctionnera plus.',
      );
      await fireEvent.click(screen.getByTestId('invitation-confirm-cancel'));
      expect(screen.queryByTestId('invitation-confirm')).toBeNull();
      expect(backend.callsOf('revoke_invitation')).toEqual([]);

      await fireEvent.click(within(row).getByTestId('invitation-revoke'));
      await fireEvent.click(screen.getByTestId('invitation-confirm-submit'));
      await waitFor(() => expect(screen.queryByTestId('invitation-confirm')).toBeNull());
      expect(backend.callsOf('revoke_invitation')).toEqual([{ space: space.id, invitation: invitation.id }]);
      await waitFor(() => expect(screen.getByTestId('invitation-row').dataset.state).toBe('revoked'));
      expect(screen.getByTestId('invitation-state').textContent).toBe('retirée');
      expect(screen.queryByTestId('invitation-revoke')).toBeNull();
    });

    it('shows in French why one could not be withdrawn, and what it became', async () => {
      populate('admin');
      const invitation = backend.addInvitation(space.id);
      render(MembersPanel, { space });
      await invitationRows();
      // Redeemed since the list was loaded.
      invitation.used = true;
      await fireEvent.click(screen.getByTestId('invitation-revoke'));
      await fireEvent.click(screen.getByTestId('invitation-confirm-submit'));
      const error = await within(screen.getByTestId('invitation-confirm')).findByTestId('error-message');
      expect(error.textContent).toContain('Ce code a déjà été utilisé');
      expect(error.textContent).toContain('invitation already used');
      await waitFor(() => expect(screen.getByTestId('invitation-row').dataset.state).toBe('used'));
    });

    it('reloads them when the version changes', async () => {
      populate('admin');
      backend.addInvitation(space.id);
      const view = render(MembersPanel, { space, version: 0 });
      expect(await invitationRows()).toHaveLength(1);
      backend.addInvitation(space.id, { forDevice: true });
      await view.rerender({ space, version: 1 });
      await waitFor(() => expect(screen.getAllByTestId('invitation-row')).toHaveLength(2));
    });
  });

  describe('devices', () => {
    it('unfolds anyone’s devices for an administrator, marks this computer, never offers to remove it', async () => {
      populate('admin');
      backend.myself(space.id).devices.push(MY_LAPTOP);
      render(MembersPanel, { space });
      await rows();
      expect(devicesOf('Camille Martin')).toBeNull();
      const mine = await unfold('Camille Martin');
      expect(deviceRows(mine)).toEqual(['c0ffee01 (cet ordinateur)', 'b16b00b5 [Retirer]']);
      expect(within(mine).getAllByTestId('device-row')[0].querySelector('.mono')?.getAttribute('title')).toBe(
        THIS_COMPUTER,
      );
      expect(deviceRows(await unfold('Alix Durand'))).toEqual(['a11ce001 [Retirer]', 'a11ce002 [Retirer]']);
      expect(within(rowOf('Bruno Petit')).getByTestId('member-devices-toggle').textContent?.trim()).toBe('1 appareil');

      await fireEvent.click(within(rowOf('Camille Martin')).getByTestId('member-devices-toggle'));
      expect(devicesOf('Camille Martin')).toBeNull();
    });

    it('shows anyone else only their own devices, and lets them remove the other ones', async () => {
      populate('reader');
      backend.myself(space.id).devices.push(MY_LAPTOP);
      render(MembersPanel, { space });
      await rows();
      expect(within(rowOf('Alix Durand')).queryByTestId('member-devices-toggle')).toBeNull();
      expect(within(rowOf('Bruno Petit')).queryByTestId('member-devices-toggle')).toBeNull();
      const mine = await unfold('Camille Martin');
      expect(deviceRows(mine)).toEqual(['c0ffee01 (cet ordinateur)', 'b16b00b5 [Retirer]']);
      expect(within(mine).getByTestId('device-remove').textContent?.trim()).toBe('Retirer cet appareil');

      await fireEvent.click(within(mine).getByTestId('device-remove'));
      expect(screen.getByTestId('device-confirm-which').textContent?.replace(/\s+/g, ' ').trim()).toBe(
        'Appareil b16b00b5 de Camille Martin',
      );
      expect(screen.getByTestId('device-confirm-text').textContent).toBe(
        'Retirer cet appareil ? Il ne recevra plus rien de l’espace ; ce qui a été écrit depuis reste.',
      );
      await fireEvent.click(screen.getByTestId('device-confirm-submit'));
      await waitFor(() => expect(screen.queryByTestId('device-confirm')).toBeNull());
      expect(backend.callsOf('remove_device')).toEqual([{ space: space.id, device: MY_LAPTOP }]);
      await waitFor(() => expect(deviceRows(devicesOf('Camille Martin')!)).toEqual(['c0ffee01 (cet ordinateur)']));
      const toggle = within(rowOf('Camille Martin')).getByTestId('member-devices-toggle');
      expect(toggle.textContent?.trim()).toBe('1 appareil');
    });

    it('removes another member’s device after asking, and does nothing when cancelled', async () => {
      populate('admin');
      render(MembersPanel, { space });
      await rows();
      const alixDevices = await unfold('Alix Durand');
      await fireEvent.click(within(alixDevices).getAllByTestId('device-remove')[1]);
      expect(screen.getByTestId('device-confirm-which').textContent?.replace(/\s+/g, ' ').trim()).toBe(
        'Appareil a11ce002 de Alix Durand',
      );
      await fireEvent.click(screen.getByTestId('device-confirm-cancel'));
      expect(screen.queryByTestId('device-confirm')).toBeNull();
      expect(backend.callsOf('remove_device')).toEqual([]);

      await fireEvent.click(within(alixDevices).getAllByTestId('device-remove')[1]);
      await fireEvent.click(screen.getByTestId('device-confirm-submit'));
      await waitFor(() => expect(screen.queryByTestId('device-confirm')).toBeNull());
      expect(backend.callsOf('remove_device')).toEqual([{ space: space.id, device: ALIX_PHONE }]);
      await waitFor(() => expect(deviceRows(devicesOf('Alix Durand')!)).toEqual(['a11ce001 [Retirer]']));
      expect(rowOf('Alix Durand').dataset.role).toBe('validator');
    });

    it('shows in French why a device could not be removed', async () => {
      populate('admin');
      render(MembersPanel, { space });
      await rows();
      await fireEvent.click(within(await unfold('Alix Durand')).getAllByTestId('device-remove')[0]);
      // Removed from another administrator's computer meanwhile.
      alix.devices = [ALIX_PHONE];
      await fireEvent.click(screen.getByTestId('device-confirm-submit'));
      const error = await within(screen.getByTestId('device-confirm')).findByTestId('error-message');
      expect(error.textContent).toContain('Élément introuvable');
      await waitFor(() => expect(deviceRows(devicesOf('Alix Durand')!)).toEqual(['a11ce002 [Retirer]']));
    });

    it('offers no removal at all while this computer is unknown', async () => {
      populate('reader');
      backend.myself(space.id).devices.push(MY_LAPTOP);
      backend.failures.set('app_info', { code: 'internal', message: 'no profile' });
      render(MembersPanel, { space });
      await rows();
      const mine = await unfold('Camille Martin');
      expect(deviceRows(mine)).toEqual(['c0ffee01', 'b16b00b5']);
    });
  });
});

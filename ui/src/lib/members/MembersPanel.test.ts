import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Member, Space } from '../types';
import MembersPanel from './MembersPanel.svelte';

let backend: FakeBackend;
let space: Space;
let alix: Member;
let bruno: Member;

beforeEach(() => {
  backend = new FakeBackend().install();
});

/** A space where this device's person (Camille Martin) has `role`, with two others and a former member. */
function populate(role: Member['role']) {
  space = backend.addSpace('Pays — agents', 'relais.test:4433', role);
  alix = backend.addMember(space.id, {
    name: 'Alix Durand',
    organisation: 'Commune de Lavaur',
    function: 'Maire',
    role: 'validator',
    devices: ['d-a1', 'd-a2'],
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
});

import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';
import { BastideError } from './errors';
import { FakeBackend } from './fake-backend';
import * as ipc from './ipc';
import type { CardInput, EventInput } from './types';

const input: EventInput = {
  title: 'Conseil communautaire',
  start: '2026-12-01T14:00:00+01:00',
  end: '2026-12-01T16:00:00+01:00',
  allDay: false,
  place: 'Salle des fêtes',
  theme: 'Conseil',
  description: '',
};

const card: CardInput = {
  name: 'Dr Anne Roux',
  kind: 'person',
  organisation: 'Maison de santé de Cajarc',
  function: '',
  commune: 'Cajarc',
  discipline: 'Médecine générale',
  specialties: '',
  status: 'remplaçant',
  statusFrom: '2026-12-01',
  statusUntil: '',
  phone: '05 65 40 00 01',
  email: '',
  address: '',
  notes: '',
  public: ['name', 'status_from'],
};

describe('ipc', () => {
  it('passes each command its arguments under the camelCase keys the Rust side expects', async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return null;
    });
    await ipc.createSpace('Élus', 'relais:4433', { name: 'Claire Martin', organisation: 'Pays de la Bastide', function: '' });
    await ipc.inviteCode('s1', 'validator', 30);
    await ipc.inviteCode('s1', 'editor');
    await ipc.joinSpace('BSTD1-X', { name: 'Camille Martin', organisation: 'Commune de Lavaur', function: 'Maire' });
    await ipc.spaceMembers('s1');
    await ipc.setRole('s1', 'm2', 'reader');
    await ipc.removeMember('s1', 'm2');
    await ipc.listInvitations('s1');
    await ipc.revokeInvitation('s1', 'i1');
    await ipc.removeDevice('s1', 'd2');
    await ipc.deviceAdd();
    await ipc.deviceJoin('BSTD1-D');
    await ipc.listEvents('s1');
    await ipc.listTrash('s1');
    await ipc.addEvent('s1', input);
    await ipc.updateEvent('s1', 'e1', input);
    await ipc.deleteEvent('s1', 'e1');
    await ipc.restoreEvent('s1', 'e1');
    await ipc.itemHistory('s1', 'e1');
    await ipc.listCards('s1');
    await ipc.listCards('s1', { commune: 'Cajarc', deleted: false });
    await ipc.listCards('s1', { deleted: true });
    await ipc.addCard('s1', card);
    await ipc.updateCard('s1', 'c1', card);
    await ipc.pickCardValue('s1', 'c1', 'status_from', '2026-12-02');
    await ipc.setCardDeleted('s1', 'c1', true);
    await ipc.syncStatus();
    await ipc.appInfo();
    await ipc.listSpaces();
    expect(seen).toEqual([
      [
        'create_space',
        {
          name: 'Élus',
          relay: 'relais:4433',
          me: { name: 'Claire Martin', organisation: 'Pays de la Bastide', function: '' },
          token: null,
        },
      ],
      ['invite_code', { space: 's1', role: 'validator', expiresDays: 30 }],
      ['invite_code', { space: 's1', role: 'editor', expiresDays: 7 }],
      ['join_space', { code: 'BSTD1-X', name: 'Camille Martin', organisation: 'Commune de Lavaur', function: 'Maire' }],
      ['space_members', { space: 's1' }],
      ['set_role', { space: 's1', member: 'm2', role: 'reader' }],
      ['remove_member', { space: 's1', member: 'm2' }],
      ['list_invitations', { space: 's1' }],
      ['revoke_invitation', { space: 's1', invitation: 'i1' }],
      ['remove_device', { space: 's1', device: 'd2' }],
      ['device_add', {}],
      ['device_join', { code: 'BSTD1-D' }],
      ['list_events', { space: 's1' }],
      ['list_trash', { space: 's1' }],
      ['add_event', { space: 's1', event: input }],
      ['update_event', { space: 's1', id: 'e1', event: input }],
      ['delete_event', { space: 's1', id: 'e1' }],
      ['restore_event', { space: 's1', id: 'e1' }],
      ['item_history', { space: 's1', id: 'e1' }],
      ['list_cards', { space: 's1', filter: { organisation: null, commune: null, discipline: null, deleted: false } }],
      ['list_cards', { space: 's1', filter: { organisation: null, commune: 'Cajarc', discipline: null, deleted: false } }],
      ['list_cards', { space: 's1', filter: { organisation: null, commune: null, discipline: null, deleted: true } }],
      ['add_card', { space: 's1', card }],
      ['update_card', { space: 's1', id: 'c1', card }],
      ['pick_card_value', { space: 's1', id: 'c1', field: 'status_from', value: '2026-12-02' }],
      ['set_card_deleted', { space: 's1', id: 'c1', deleted: true }],
      ['sync_status', {}],
      ['app_info', {}],
      ['list_spaces', {}],
    ]);
  });

  it('turns a rejected command into a typed BastideError', async () => {
    mockIPC(() => {
      throw { code: 'expired_invitation', message: 'invitation expired at 2026-11-01' };
    });
    const failure = await ipc.joinSpace('BSTD1-OLD', { name: 'A', organisation: '', function: '' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BastideError);
    expect((failure as BastideError).code).toBe('expired_invitation');
    expect((failure as BastideError).detail).toBe('invitation expired at 2026-11-01');
  });

  it('delivers bastide://event payloads to the handler until unlistened', async () => {
    const backend = new FakeBackend().install();
    const handler = vi.fn();
    const stop = await ipc.onBackendEvent(handler);
    await backend.push({ type: 'itemsChanged', space: 's1', ids: ['e1'] });
    expect(handler).toHaveBeenCalledWith({ type: 'itemsChanged', space: 's1', ids: ['e1'] });
    stop();
    await backend.push({ type: 'itemsChanged', space: 's1', ids: ['e2'] });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

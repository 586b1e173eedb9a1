// The fake backend refuses what the real one refuses, with the same codes: component
// tests rely on it for their error paths.
import { describe, expect, it } from 'vitest';
import { BastideError } from './errors';
import { FakeBackend } from './fake-backend';
import { newCardForm } from './directory/form';
import * as ipc from './ipc';

async function refusal(promise: Promise<unknown>): Promise<string> {
  const failure = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(BastideError);
  return (failure as BastideError).code;
}

describe('FakeBackend', () => {
  it('lists the invitations and device codes made, newest expiry first', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Pays — agents');
    const other = backend.addSpace('Élus');
    await ipc.inviteCode(space.id, 'validator', 30);
    await ipc.inviteCode(space.id, 'reader', 2);
    await ipc.deviceAdd();
    const list = await ipc.listInvitations(space.id);
    expect(list.map((i) => [i.forDevice ? 'device' : i.role, i.used, i.revoked])).toEqual([
      ['validator', false, false],
      ['device', false, false],
      ['reader', false, false],
    ]);
    expect(list.every((i) => /^[0-9a-f]{64}$/.test(i.id) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(i.expires))).toBe(true);
    expect((await ipc.listInvitations(other.id)).map((i) => i.forDevice)).toEqual([true]);
  });

  it('refuses to withdraw an invitation used, withdrawn, unknown, or not the reader’s', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Pays — agents');
    const used = backend.addInvitation(space.id, { used: true });
    const open = backend.addInvitation(space.id);
    expect(await refusal(ipc.revokeInvitation(space.id, used.id))).toBe('invite_used');
    await ipc.revokeInvitation(space.id, open.id);
    expect(await refusal(ipc.revokeInvitation(space.id, open.id))).toBe('invite_revoked');
    expect(await refusal(ipc.revokeInvitation(space.id, 'f'.repeat(64)))).toBe('invite_unknown');
    const code = [...backend.codes].find(([, c]) => c.id === open.id)![0];
    expect(await refusal(ipc.joinSpace(code, { name: 'Dana', organisation: '', function: '' }))).toBe('invite_revoked');

    const readers = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    const theirs = backend.addInvitation(readers.id);
    expect(await refusal(ipc.revokeInvitation(readers.id, theirs.id))).toBe('not_allowed');
    // A device code is the reader's own: withdrawing it is theirs to do.
    const device = backend.addInvitation(readers.id, { forDevice: true });
    await ipc.revokeInvitation(readers.id, device.id);
  });

  it('removes a device as the membership log allows it', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Pays — agents', 'relais.test:4433', 'reader');
    const alix = backend.addMember(space.id, { name: 'Alix Durand' });
    backend.myself(space.id).devices.push('b'.repeat(64));
    expect(await refusal(ipc.removeDevice(space.id, alix.devices[0]))).toBe('not_allowed');
    await ipc.removeDevice(space.id, 'b'.repeat(64));
    expect(backend.myself(space.id).devices).toEqual([backend.info.deviceId]);

    backend.myself(space.id).role = 'admin';
    expect(await refusal(ipc.removeDevice(space.id, 'e'.repeat(64)))).toBe('not_found');
    await ipc.removeDevice(space.id, alix.devices[0]);
    expect((await ipc.spaceMembers(space.id)).find((m) => m.id === alix.id)?.devices).toEqual([]);
  });

  it('checks and normalises cards as the real backend does', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Pays — santé');
    const base = { ...newCardForm(), name: 'Dr Anne Roux' };
    expect(await refusal(ipc.addCard(space.id, { ...base, name: '  ' }))).toBe('invalid_input');
    expect(await refusal(ipc.addCard(space.id, { ...base, status: 'interne' as never }))).toBe('invalid_input');
    expect(await refusal(ipc.addCard(space.id, { ...base, statusFrom: '2026-02-30' }))).toBe('invalid_input');
    expect(await refusal(ipc.addCard(space.id, { ...base, phone: '0'.repeat(501) }))).toBe('invalid_input');
    const added = await ipc.addCard(space.id, {
      ...base,
      name: ' Dr Anne Roux ',
      kind: '' as never,
      public: ['phone', 'notes', 'name', 'phone'],
    });
    expect(added).toMatchObject({ name: 'Dr Anne Roux', kind: 'person', public: ['name', 'phone'], deleted: false });
    expect(await refusal(ipc.updateCard(space.id, 'card-0', base))).toBe('not_found');
  });

  it('filters cards, keeps the trash apart, and sorts by name as SQLite’s NOCASE does', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Pays — santé');
    backend.addCardTo(space.id, { name: 'émile', commune: 'Cajarc' });
    backend.addCardTo(space.id, { name: 'Bruno', commune: 'Figeac', discipline: 'Kinésithérapie' });
    const anne = backend.addCardTo(space.id, { name: 'anne', commune: 'Cajarc' });
    backend.addCardTo(backend.addSpace('Autre').id, { name: 'Ailleurs', commune: 'Cajarc' });
    const names = async (filter: Parameters<typeof ipc.listCards>[1]) =>
      (await ipc.listCards(space.id, filter)).map((c) => c.name);
    expect(await names({ deleted: false })).toEqual(['anne', 'Bruno', 'émile']);
    expect(await names({ commune: 'Cajarc', deleted: false })).toEqual(['anne', 'émile']);
    expect(await names({ commune: 'Cajarc', discipline: 'Kinésithérapie', deleted: false })).toEqual([]);
    await ipc.setCardDeleted(space.id, anne.id, true);
    expect(await names({ deleted: false })).toEqual(['Bruno', 'émile']);
    expect(await names({ deleted: true })).toEqual(['anne']);
  });

  it('names the authors of concurrent values, and settles a field on pick or on save', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Pays — santé');
    const alice = backend.addMember(space.id, { name: 'Alice' });
    const card = backend.addCardTo(space.id, { name: 'Cabinet infirmier', phone: '05 65 00 00 00' });
    backend.addConflict(card.id, 'phone', [
      { value: '05 65 11 11 11', device: alice.devices[0] },
      { value: '05 65 22 22 22', device: 'f'.repeat(64) },
    ]);
    backend.addConflict(card.id, 'commune', [
      { value: 'Cajarc', device: alice.devices[0] },
      { value: 'Figeac', device: backend.info.deviceId },
    ]);
    const [listed] = await ipc.listCards(space.id);
    expect(listed.phone).toBe('05 65 11 11 11');
    expect(listed.conflicts).toEqual([
      {
        field: 'commune',
        values: [
          { value: 'Cajarc', device: alice.devices[0], author: 'Alice' },
          { value: 'Figeac', device: backend.info.deviceId, author: 'Camille Martin' },
        ],
      },
      {
        field: 'phone',
        values: [
          { value: '05 65 11 11 11', device: alice.devices[0], author: 'Alice' },
          { value: '05 65 22 22 22', device: 'f'.repeat(64), author: '' },
        ],
      },
    ]);
    expect(await refusal(ipc.pickCardValue(space.id, card.id, 'colour' as never, 'x'))).toBe('invalid_input');
    const picked = await ipc.pickCardValue(space.id, card.id, 'phone', ' 05 65 22 22 22 ');
    expect(picked.phone).toBe('05 65 22 22 22');
    expect(picked.conflicts.map((c) => c.field)).toEqual(['commune']);
    // Saving writes every field in conflict: the form's value settles it.
    const { id: _id, space: _space, conflicts: _c, deleted: _d, updatedAt: _a, updatedBy: _b, ...fields } = picked;
    const saved = await ipc.updateCard(space.id, card.id, fields);
    expect(saved.conflicts).toEqual([]);
    expect(saved.commune).toBe('Cajarc');
  });

  it('lets readers list cards but change none', async () => {
    const backend = new FakeBackend().install();
    const space = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    const card = backend.addCardTo(space.id, { name: 'Mairie de Figeac' });
    const input = { ...newCardForm(), name: 'Intrus' };
    expect((await ipc.listCards(space.id)).map((c) => c.id)).toEqual([card.id]);
    expect(await refusal(ipc.addCard(space.id, input))).toBe('not_allowed');
    expect(await refusal(ipc.updateCard(space.id, card.id, input))).toBe('not_allowed');
    expect(await refusal(ipc.pickCardValue(space.id, card.id, 'name', 'Intrus'))).toBe('not_allowed');
    expect(await refusal(ipc.setCardDeleted(space.id, card.id, true))).toBe('not_allowed');
    expect((await ipc.itemHistory(space.id, card.id)).length).toBe(1);
  });
});

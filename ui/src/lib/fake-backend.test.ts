// The fake backend refuses what the real one refuses, with the same codes: component
// tests rely on it for their error paths.
import { describe, expect, it } from 'vitest';
import { BastideError } from './errors';
import { FakeBackend } from './fake-backend';
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
});

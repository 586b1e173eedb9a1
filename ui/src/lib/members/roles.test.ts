import { describe, expect, it } from 'vitest';
import { ROLE_IDS, type Member } from '../types';
import {
  activeAdmins,
  canManage,
  canWrite,
  DEFAULT_INVITE_ROLE,
  devicesLabel,
  findMe,
  memberName,
  ROLES,
  roleLabel,
} from './roles';

const member = (over: Partial<Member>): Member => ({
  id: 'm',
  name: 'X',
  organisation: '',
  function: '',
  role: 'editor',
  devices: [],
  removed: false,
  isMe: false,
  ...over,
});

describe('roles', () => {
  it('names every role in French, from the most to the least powerful', () => {
    expect(ROLES).toEqual([
      { id: 'admin', label: 'Administrateur' },
      { id: 'validator', label: 'Validateur (élu)' },
      { id: 'editor', label: 'Rédacteur (agent)' },
      { id: 'reader', label: 'Lecteur' },
    ]);
    expect(ROLES.map((r) => r.id)).toEqual([...ROLE_IDS]);
    expect(roleLabel('validator')).toBe('Validateur (élu)');
    expect(roleLabel(DEFAULT_INVITE_ROLE)).toBe('Rédacteur (agent)');
  });

  it('lets administrators manage members, and everyone but readers write', () => {
    expect(ROLE_IDS.filter(canManage)).toEqual(['admin']);
    expect(ROLE_IDS.filter(canWrite)).toEqual(['admin', 'validator', 'editor']);
    expect(canManage(null)).toBe(false);
    expect(canWrite(undefined)).toBe(false);
  });

  it('finds this device’s member and the administrators still in the space', () => {
    const list = [
      member({ id: 'a', role: 'admin' }),
      member({ id: 'b', role: 'admin', removed: true }),
      member({ id: 'c', isMe: true }),
    ];
    expect(findMe(list)?.id).toBe('c');
    expect(findMe([])).toBeNull();
    expect(activeAdmins(list).map((m) => m.id)).toEqual(['a']);
  });

  it('names a member whose name is unknown', () => {
    expect(memberName({ name: ' Alix ' })).toBe('Alix');
    expect(memberName({ name: '' })).toBe('Membre sans nom');
  });

  it('counts devices in French', () => {
    expect(devicesLabel(0)).toBe('0 appareil');
    expect(devicesLabel(1)).toBe('1 appareil');
    expect(devicesLabel(3)).toBe('3 appareils');
  });
});

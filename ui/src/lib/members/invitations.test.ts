import { describe, expect, it } from 'vitest';
import type { Invitation } from '../types';
import { canRevoke, expiryLabel, invitationFor, invitationState, shortDevice, stateLabel } from './invitations';

const invitation = (over: Partial<Invitation>): Invitation => ({
  id: 'i1',
  role: 'editor',
  forDevice: false,
  expires: '2026-11-30T13:05:00Z',
  used: false,
  revoked: false,
  dead: false,
  ...over,
});

// vite.config.ts pins TZ=Europe/Paris: 13:05 UTC on 30 November is 14:05 there.
const before = new Date('2026-11-20T09:00:00Z');
const after = new Date('2026-12-01T09:00:00Z');

describe('invitations', () => {
  it('tells the state: withdrawn, then used, then expired, else open', () => {
    expect(invitationState(invitation({}), before)).toBe('open');
    expect(invitationState(invitation({}), after)).toBe('expired');
    expect(invitationState(invitation({ used: true }), after)).toBe('used');
    expect(invitationState(invitation({ revoked: true }), before)).toBe('revoked');
    expect(invitationState(invitation({ dead: true }), before)).toBe('dead');
    expect(canRevoke(invitation({ dead: true }), before)).toBe(false);
    expect((['open', 'used', 'revoked', 'dead', 'expired'] as const).map(stateLabel)).toEqual([
      'ouverte',
      'utilisée',
      'retirée',
      'caduque (son auteur a quitté l’espace)',
      'expirée',
    ]);
  });

  it('says whom it is for', () => {
    expect(invitationFor(invitation({ role: 'validator' }))).toBe('Nouvelle personne — Validateur (élu)');
    expect(invitationFor(invitation({ forDevice: true, role: 'admin' }))).toBe('Second appareil');
  });

  it('gives the expiry as a local French date, and says when it is past', () => {
    expect(expiryLabel(invitation({}), before)).toBe('expire le 30/11/2026 14:05');
    expect(expiryLabel(invitation({}), after)).toBe('expirée le 30/11/2026 14:05');
    expect(expiryLabel(invitation({ expires: '' }), before)).toBe('');
  });

  it('offers to withdraw open invitations only', () => {
    expect(canRevoke(invitation({}), before)).toBe(true);
    expect(canRevoke(invitation({}), after)).toBe(false);
    expect(canRevoke(invitation({ used: true }), before)).toBe(false);
    expect(canRevoke(invitation({ revoked: true }), before)).toBe(false);
  });

  it('names a device by the start of its id', () => {
    expect(shortDevice('a1b2c3d4e5f60718'.repeat(4))).toBe('a1b2c3d4');
  });
});

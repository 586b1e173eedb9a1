// Invitations and devices as the members view shows them: in French, with the state
// of each invitation worked out from its flags and its expiry.

import { formatDateTime } from '../agenda/dates';
import type { Invitation } from '../types';
import { roleLabel } from './roles';

/**
 * Withdrawn, redeemed, dead with its inviter's removal, past its expiry, or still
 * usable; in that order of precedence.
 */
export type InvitationState = 'revoked' | 'used' | 'dead' | 'expired' | 'open';

const STATE_LABELS: Record<InvitationState, string> = {
  open: 'ouverte',
  used: 'utilisée',
  revoked: 'retirée',
  dead: 'caduque (son auteur a quitté l’espace)',
  expired: 'expirée',
};

export function invitationState(invitation: Invitation, now: Date = new Date()): InvitationState {
  if (invitation.revoked) return 'revoked';
  if (invitation.used) return 'used';
  if (invitation.dead) return 'dead';
  return expired(invitation, now) ? 'expired' : 'open';
}

export function stateLabel(state: InvitationState): string {
  return STATE_LABELS[state];
}

/** "Nouvelle personne — Rédacteur (agent)", or "Second appareil" for a device code. */
export function invitationFor(invitation: Invitation): string {
  return invitation.forDevice ? 'Second appareil' : `Nouvelle personne — ${roleLabel(invitation.role)}`;
}

/** "expire le 30/11/2026 14:05", or "expirée le …" once past; '' if the date is unreadable. */
export function expiryLabel(invitation: Invitation, now: Date = new Date()): string {
  const at = new Date(invitation.expires);
  if (Number.isNaN(at.getTime())) return '';
  return `${expired(invitation, now) ? 'expirée' : 'expire'} le ${formatDateTime(at)}`;
}

/** Only an open invitation can be withdrawn; the backend refuses a used or withdrawn one. */
export function canRevoke(invitation: Invitation, now: Date = new Date()): boolean {
  return invitationState(invitation, now) === 'open';
}

function expired(invitation: Invitation, now: Date): boolean {
  const at = Date.parse(invitation.expires);
  return !Number.isNaN(at) && at <= now.getTime();
}

/** How a device is named on screen: the first 8 characters of its hex id. */
export function shortDevice(device: string): string {
  return device.slice(0, 8);
}

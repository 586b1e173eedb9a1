// The roles of a space member, in French, and what each lets the UI offer. The
// backend decides; the UI only avoids offering what it would refuse.

import { ROLE_IDS, type Member, type Role } from '../types';

export interface RoleInfo {
  id: Role;
  label: string;
}

const LABELS: Record<Role, string> = {
  admin: 'Administrateur',
  validator: 'Validateur (élu)',
  editor: 'Rédacteur (agent)',
  reader: 'Lecteur',
};

/** Every role, from the most to the least powerful, with its French name. */
export const ROLES: readonly RoleInfo[] = ROLE_IDS.map((id) => ({ id, label: LABELS[id] }));

/** The role given by an invitation unless the administrator chooses another. */
export const DEFAULT_INVITE_ROLE: Role = 'editor';

export function roleLabel(role: Role): string {
  return LABELS[role] ?? role;
}

/** Invite, change roles, remove members. */
export function canManage(role: Role | null | undefined): boolean {
  return role === 'admin';
}

/** Add, change, delete and restore agenda events. */
export function canWrite(role: Role | null | undefined): boolean {
  return role === 'admin' || role === 'validator' || role === 'editor';
}

/** The member using this device, if listed. */
export function findMe(members: readonly Member[]): Member | null {
  return members.find((m) => m.isMe) ?? null;
}

/** Members still in the space who are administrators. */
export function activeAdmins(members: readonly Member[]): Member[] {
  return members.filter((m) => !m.removed && m.role === 'admin');
}

/** The name to show; the backend may not know one (a creator never gave it). */
export function memberName(member: Pick<Member, 'name'>): string {
  return member.name.trim() || 'Membre sans nom';
}

/** "1 appareil", "2 appareils". */
export function devicesLabel(count: number): string {
  return `${count} appareil${count > 1 ? 's' : ''}`;
}

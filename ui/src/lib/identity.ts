// Who this person said they are the last time they created or joined a space,
// remembered on this computer to prefill the next "Créer un espace" or "Rejoindre
// un espace" form. A convenience only: the spaces keep their own record.

import type { Identity } from './types';

/** The localStorage key; kept from when only the join dialog remembered it. */
export const IDENTITY_KEY = 'bastide.identity';

/** The remembered identity, or empty fields when there is none (or it is unreadable). */
export function readIdentity(): Identity {
  const empty = { name: '', organisation: '', function: '' };
  try {
    const saved = JSON.parse(localStorage.getItem(IDENTITY_KEY) ?? 'null') as Partial<Identity> | null;
    if (!saved || typeof saved !== 'object') return empty;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    return { name: text(saved.name), organisation: text(saved.organisation), function: text(saved.function) };
  } catch {
    return empty;
  }
}

export function rememberIdentity(who: Identity): void {
  try {
    localStorage.setItem(
      IDENTITY_KEY,
      JSON.stringify({ name: who.name, organisation: who.organisation, function: who.function }),
    );
  } catch {
    // Storage may be unavailable; prefilling is a convenience.
  }
}

/** The identity as typed, without the spaces around each field. */
export function trimIdentity(who: Identity): Identity {
  return { name: who.name.trim(), organisation: who.organisation.trim(), function: who.function.trim() };
}

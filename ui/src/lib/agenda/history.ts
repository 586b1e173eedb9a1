// An item's history as the event dialog lists it: one French sentence per signed
// change, "Créé par …" for the first one and "Modifié par …" for the others.

import type { HistoryEntry } from '../types';
import { formatDateTime } from './dates';

export interface HistoryLine {
  /** Who, as shown: the member's name, or the unknown device's short id. */
  who: string;
  /** `Créé par Camille Martin (vous) le 01/12/2026 14:05`. */
  text: string;
  mine: boolean;
}

/** How many hex digits of an unknown device's id are shown. */
const SHORT_DEVICE = 8;

/** The author of a change as a person reads it. */
export function authorLabel(entry: HistoryEntry): string {
  const name = entry.author.trim();
  if (name !== '') return entry.mine ? `${name} (vous)` : name;
  if (entry.mine) return 'vous';
  return `Appareil inconnu (${entry.device.slice(0, SHORT_DEVICE)})`;
}

/**
 * The lines for `item_history`'s entries, newest first like them: the oldest entry
 * is the creation. A time that does not parse is shown as the backend gave it.
 */
export function historyLines(entries: HistoryEntry[]): HistoryLine[] {
  return entries.map((entry, index) => {
    const when = new Date(entry.at);
    const at = Number.isNaN(when.getTime()) ? entry.at : formatDateTime(when);
    const who = authorLabel(entry);
    if (entry.refused) {
      return { who, text: `Modification de ${who} refusée le ${at} : elle ne respecte pas les règles de l’élément`, mine: entry.mine };
    }
    const verb = index === entries.length - 1 ? 'Créé' : 'Modifié';
    return { who, text: `${verb} par ${who} le ${at}`, mine: entry.mine };
  });
}

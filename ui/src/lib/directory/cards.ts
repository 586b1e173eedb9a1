// The directory's words and small computations: French names of the fields and of
// their values, conflicts as people read them, the choices the filters offer and the
// orders the list can be sorted in.

import {
  CARD_FIELDS,
  type Card,
  type CardAlternative,
  type CardConflict,
  type CardField,
  type CardInput,
} from '../types';

/** The CardInput key of a register field: `status_from` is `statusFrom`. */
export type CardKey = Exclude<keyof CardInput, 'notes' | 'public'>;

export function fieldKey(field: CardField): CardKey {
  return field.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) as CardKey;
}

export const FIELD_LABELS: Record<CardField, string> = {
  name: 'Nom',
  kind: 'Fiche de',
  organisation: 'Organisation',
  function: 'Fonction',
  commune: 'Commune',
  discipline: 'Discipline',
  specialties: 'Spécialités',
  status: 'Statut',
  status_from: 'Début du remplacement',
  status_until: 'Fin du remplacement',
  phone: 'Téléphone',
  email: 'Courriel',
  address: 'Adresse',
};

export const KINDS: readonly { id: CardInput['kind']; label: string }[] = [
  { id: 'person', label: 'Personne' },
  { id: 'organisation', label: 'Organisation' },
];

export const STATUSES: readonly { id: CardInput['status']; label: string }[] = [
  { id: '', label: '—' },
  { id: 'titulaire', label: 'Titulaire' },
  { id: 'remplaçant', label: 'Remplaçant' },
];

/** `2026-12-01` as `01/12/2026`; anything else as it is. */
export function dayLabel(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : value;
}

/** A field's value as the card shows it: French names for kinds and statuses, dates as dd/mm/yyyy. */
export function valueLabel(field: CardField, value: string): string {
  if (value === '') return '(vide)';
  if (field === 'kind') return KINDS.find((k) => k.id === value)?.label ?? value;
  if (field === 'status') return STATUSES.find((s) => s.id === value)?.label ?? value;
  if (field === 'status_from' || field === 'status_until') return dayLabel(value);
  return value;
}

/** How many hex digits of an unknown device's id are shown. */
const SHORT_DEVICE = 8;

/** Who gave a concurrent value: the member's name, or the unknown device's short id. */
export function alternativeAuthor(alternative: CardAlternative): string {
  const name = alternative.author.trim();
  return name !== '' ? name : `un appareil inconnu (${alternative.device.slice(0, SHORT_DEVICE)})`;
}

/** `05 65 11 11 11 — par Alice`. */
export function alternativeLabel(field: CardField, alternative: CardAlternative): string {
  return `${valueLabel(field, alternative.value)} — par ${alternativeAuthor(alternative)}`;
}

/** The conflict on that field of the card, if any. */
export function conflictOf(card: Pick<Card, 'conflicts'> | null | undefined, field: CardField): CardConflict | null {
  return card?.conflicts.find((c) => c.field === field) ?? null;
}

/** `2 valeurs`: what marks a field in conflict. */
export function valuesLabel(conflict: CardConflict): string {
  return `${conflict.values.length} valeurs`;
}

/** The conflicts of a card in the order the form shows the fields. */
export function orderedConflicts(card: Pick<Card, 'conflicts'>): CardConflict[] {
  return [...card.conflicts].sort((a, b) => CARD_FIELDS.indexOf(a.field) - CARD_FIELDS.indexOf(b.field));
}

/** The badge's tooltip: which fields have several values. */
export function conflictsSummary(card: Pick<Card, 'conflicts'>): string {
  const conflicts = orderedConflicts(card);
  const fields = conflicts.map((c) => `« ${FIELD_LABELS[c.field].toLowerCase()} »`);
  if (fields.length !== 1) return `Plusieurs valeurs pour les champs ${fields.join(', ')} : à vérifier.`;
  const count = conflicts[0].values.length;
  return `${count === 2 ? 'Deux' : count} valeurs pour le champ ${fields[0]} : à vérifier.`;
}

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

/** The different non-empty values of a field among the cards, in French alphabetical order. */
export function distinctValues(cards: readonly Card[], key: 'organisation' | 'commune' | 'discipline'): string[] {
  const seen = new Set<string>();
  for (const card of cards) if (card[key].trim() !== '') seen.add(card[key]);
  return [...seen].sort(collator.compare);
}

export type SortKey = 'name' | 'organisation' | 'commune';

export const SORTS: readonly { id: SortKey; label: string }[] = [
  { id: 'name', label: 'Nom' },
  { id: 'organisation', label: 'Organisation' },
  { id: 'commune', label: 'Commune' },
];

/**
 * The cards in French alphabetical order of `by` (accents and case ignored), those
 * without a value last, then by name.
 */
export function sortCards(cards: readonly Card[], by: SortKey): Card[] {
  return [...cards].sort((a, b) => {
    if (by !== 'name') {
      const [x, y] = [a[by].trim(), b[by].trim()];
      if ((x === '') !== (y === '')) return x === '' ? 1 : -1;
      const order = collator.compare(x, y);
      if (order !== 0) return order;
    }
    return collator.compare(a.name, b.name) || a.id.localeCompare(b.id);
  });
}

/** `Maison de santé · Médecin`: organisation and function, whichever are given. */
export function organisationLine(card: Pick<Card, 'organisation' | 'function'>): string {
  return [card.organisation, card.function].filter((v) => v.trim() !== '').join(' · ');
}

/** `Remplaçant du 01/12/2026 au 31/12/2026`, `Titulaire`, or ''. */
export function statusLine(card: Pick<Card, 'status' | 'statusFrom' | 'statusUntil'>): string {
  if (card.status === 'titulaire') return 'Titulaire';
  if (card.status !== 'remplaçant') return '';
  const from = card.statusFrom ? ` du ${dayLabel(card.statusFrom)}` : '';
  const until = card.statusUntil ? ` au ${dayLabel(card.statusUntil)}` : '';
  return `Remplaçant${from}${until}`;
}

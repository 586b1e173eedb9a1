// The card form's values and their validation. The values are a CardInput as the
// inputs hold it; `validateCardForm` trims it and checks what a person can get wrong.
// The backend checks again (invalid_input): its errors are shown as well.

import { parseDateInput } from '../agenda/dates';
import type { Card, CardInput, PublicField } from '../types';

export type CardFormField = 'name' | 'statusFrom' | 'statusUntil' | 'email';
export type CardFormErrors = Partial<Record<CardFormField, string>>;

export type CardValidation = { ok: true; input: CardInput } | { ok: false; errors: CardFormErrors };

export const CARD_MESSAGES = {
  name: 'Le nom est obligatoire.',
  date: 'Une date n’est pas valide : indiquez le jour, le mois et l’année.',
  order: 'La fin du remplacement doit être le même jour que son début ou après.',
  email: 'Une adresse de courriel n’est pas valide (par exemple : accueil@mairie-cajarc.fr).',
} as const;

/**
 * The fields a "public" checkbox stands for: the status's box also covers the dates
 * of a replacement, which are shown with it.
 */
export const PUBLIC_GROUPS: Record<Exclude<PublicField, 'status_from' | 'status_until'>, PublicField[]> = {
  name: ['name'],
  organisation: ['organisation'],
  function: ['function'],
  commune: ['commune'],
  discipline: ['discipline'],
  specialties: ['specialties'],
  status: ['status', 'status_from', 'status_until'],
  phone: ['phone'],
  email: ['email'],
  address: ['address'],
};

export type PublicBox = keyof typeof PUBLIC_GROUPS;

/** A new card: a person, nothing public until someone says so. */
export function newCardForm(): CardInput {
  return {
    name: '',
    kind: 'person',
    organisation: '',
    function: '',
    commune: '',
    discipline: '',
    specialties: '',
    status: '',
    statusFrom: '',
    statusUntil: '',
    phone: '',
    email: '',
    address: '',
    notes: '',
    public: [],
  };
}

/** The form values that show an existing card. */
export function formFromCard(card: Card): CardInput {
  return {
    name: card.name,
    kind: card.kind === 'organisation' ? 'organisation' : 'person',
    organisation: card.organisation,
    function: card.function,
    commune: card.commune,
    discipline: card.discipline,
    specialties: card.specialties,
    status: card.status,
    statusFrom: card.statusFrom,
    statusUntil: card.statusUntil,
    phone: card.phone,
    email: card.email,
    address: card.address,
    notes: card.notes,
    public: [...card.public],
  };
}

/** Whether the box is ticked: its first field is public. */
export function isPublic(values: Pick<CardInput, 'public'>, box: PublicBox): boolean {
  return values.public.includes(PUBLIC_GROUPS[box][0]);
}

/** The public fields once the box is ticked or unticked; the others stay as they were. */
export function withPublic(values: Pick<CardInput, 'public'>, box: PublicBox, on: boolean): string[] {
  const group: string[] = PUBLIC_GROUPS[box];
  const others = values.public.filter((f) => !group.includes(f));
  return on ? [...others, ...group] : others;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The non-empty lines of a multi-line field, trimmed. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function validateCardForm(values: CardInput): CardValidation {
  const errors: CardFormErrors = {};
  const name = values.name.trim();
  if (name === '') errors.name = CARD_MESSAGES.name;

  // The dates belong to a replacement: another status keeps none.
  const replacing = values.status === 'remplaçant';
  const statusFrom = replacing ? values.statusFrom.trim() : '';
  const statusUntil = replacing ? values.statusUntil.trim() : '';
  const from = statusFrom ? parseDateInput(statusFrom) : null;
  const until = statusUntil ? parseDateInput(statusUntil) : null;
  if (statusFrom && !from) errors.statusFrom = CARD_MESSAGES.date;
  if (statusUntil && !until) errors.statusUntil = CARD_MESSAGES.date;
  if (from && until && until < from) errors.statusUntil = CARD_MESSAGES.order;

  const emails = lines(values.email);
  if (emails.some((e) => !EMAIL_RE.test(e))) errors.email = CARD_MESSAGES.email;

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      name,
      kind: values.kind,
      organisation: values.organisation.trim(),
      function: values.function.trim(),
      commune: values.commune.trim(),
      discipline: values.discipline.trim(),
      specialties: values.specialties.trim(),
      status: values.status,
      statusFrom,
      statusUntil,
      phone: lines(values.phone).join('\n'),
      email: emails.join('\n'),
      address: values.address.trim(),
      notes: values.notes,
      public: [...values.public],
    },
  };
}

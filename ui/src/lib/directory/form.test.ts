import { describe, expect, it } from 'vitest';
import type { Card, CardInput } from '../types';
import { CARD_MESSAGES, formFromCard, isPublic, newCardForm, validateCardForm, withPublic } from './form';

const base: CardInput = {
  ...newCardForm(),
  name: ' Dr Anne Roux ',
  organisation: ' Maison de santé de Cajarc ',
  commune: 'Cajarc',
  discipline: 'Médecine générale',
  phone: ' 05 65 40 00 01 \n\n 06 12 34 56 78 ',
  email: 'anne.roux@msp-cajarc.fr',
  address: '  Place de la Mairie\n46160 Cajarc  ',
  notes: ' Le matin. ',
};

describe('validateCardForm', () => {
  it('trims the fields, one phone or address per line, and keeps the notes as typed', () => {
    const result = validateCardForm(base);
    expect(result).toEqual({
      ok: true,
      input: {
        ...base,
        name: 'Dr Anne Roux',
        organisation: 'Maison de santé de Cajarc',
        phone: '05 65 40 00 01\n06 12 34 56 78',
        address: 'Place de la Mairie\n46160 Cajarc',
        notes: ' Le matin. ',
      },
    });
  });

  it('refuses an empty or blank name', () => {
    const result = validateCardForm({ ...base, name: '   ' });
    expect(result).toEqual({ ok: false, errors: { name: 'Le nom est obligatoire.' } });
  });

  it('keeps the dates of a replacement only, and checks their order', () => {
    const titular = validateCardForm({ ...base, status: 'titulaire', statusFrom: '2026-12-01', statusUntil: 'x' });
    expect(titular.ok && [titular.input.statusFrom, titular.input.statusUntil]).toEqual(['', '']);
    const replacing = { ...base, status: 'remplaçant' as const, statusFrom: '2026-12-01' };
    expect(validateCardForm({ ...replacing, statusUntil: '2026-12-01' }).ok).toBe(true);
    expect(validateCardForm({ ...replacing, statusUntil: '' }).ok).toBe(true);
    expect(validateCardForm({ ...replacing, statusUntil: '2026-11-30' })).toEqual({
      ok: false,
      errors: { statusUntil: CARD_MESSAGES.order },
    });
    expect(validateCardForm({ ...replacing, statusFrom: '2026-02-30' })).toEqual({
      ok: false,
      errors: { statusFrom: CARD_MESSAGES.date },
    });
  });

  it('checks each email address, one per line', () => {
    expect(validateCardForm({ ...base, email: 'a@b.fr\n  c@d.fr ' })).toMatchObject({
      ok: true,
      input: { email: 'a@b.fr\nc@d.fr' },
    });
    expect(validateCardForm({ ...base, email: 'a@b.fr\nsecretariat' })).toEqual({
      ok: false,
      errors: { email: CARD_MESSAGES.email },
    });
  });
});

describe('public fields', () => {
  it('ticks the status with the dates of a replacement, and leaves the others alone', () => {
    const values = { public: ['phone', 'kind'] };
    const on = withPublic(values, 'status', true);
    expect(on).toEqual(['phone', 'kind', 'status', 'status_from', 'status_until']);
    expect(isPublic({ public: on }, 'status')).toBe(true);
    expect(withPublic({ public: on }, 'status', false)).toEqual(['phone', 'kind']);
    expect(withPublic({ public: on }, 'phone', false)).toEqual(['kind', 'status', 'status_from', 'status_until']);
    expect(isPublic({ public: [] }, 'name')).toBe(false);
  });
});

describe('formFromCard', () => {
  it('shows a card’s fields, not its bookkeeping', () => {
    const card: Card = {
      ...newCardForm(),
      name: 'Mairie de Figeac',
      kind: 'organisation',
      public: ['name'],
      id: 'c1',
      space: 's1',
      conflicts: [],
      deleted: false,
      updatedAt: '2026-11-20T09:00:00Z',
      updatedBy: 'device-1',
    };
    const values = formFromCard(card);
    expect(values).toEqual({ ...newCardForm(), name: 'Mairie de Figeac', kind: 'organisation', public: ['name'] });
    values.public.push('phone');
    expect(card.public).toEqual(['name']);
  });
});

import { describe, expect, it } from 'vitest';
import type { Card } from '../types';
import {
  alternativeLabel,
  conflictsSummary,
  distinctValues,
  fieldKey,
  organisationLine,
  sortCards,
  statusLine,
  valueLabel,
} from './cards';
import { newCardForm } from './form';

function card(id: string, fields: Partial<Card>): Card {
  return {
    ...newCardForm(),
    id,
    space: 's1',
    conflicts: [],
    deleted: false,
    updatedAt: '',
    updatedBy: '',
    ...fields,
  };
}

describe('directory words', () => {
  it('maps the backend’s field names to the form’s keys', () => {
    expect(fieldKey('status_from')).toBe('statusFrom');
    expect(fieldKey('status_until')).toBe('statusUntil');
    expect(fieldKey('phone')).toBe('phone');
  });

  it('shows values as people read them', () => {
    expect(valueLabel('kind', 'organisation')).toBe('Organisation');
    expect(valueLabel('status', 'remplaçant')).toBe('Remplaçant');
    expect(valueLabel('status_until', '2026-12-31')).toBe('31/12/2026');
    expect(valueLabel('phone', '')).toBe('(vide)');
    expect(alternativeLabel('phone', { value: '05 65 11 11 11', device: 'a1', author: 'Alice' })).toBe(
      '05 65 11 11 11 — par Alice',
    );
    expect(alternativeLabel('email', { value: 'a@b.fr', device: 'c0ffee0123', author: ' ' })).toBe(
      'a@b.fr — par un appareil inconnu (c0ffee01)',
    );
  });

  it('says which fields have several values', () => {
    const alternatives = [
      { value: '1', device: 'a', author: 'A' },
      { value: '2', device: 'b', author: 'B' },
    ];
    const one = card('c1', { conflicts: [{ field: 'phone', values: alternatives }] });
    expect(conflictsSummary(one)).toBe('Deux valeurs pour le champ « téléphone » : à vérifier.');
    const three = card('c1', {
      conflicts: [{ field: 'phone', values: [...alternatives, { value: '3', device: 'c', author: 'C' }] }],
    });
    expect(conflictsSummary(three)).toBe('3 valeurs pour le champ « téléphone » : à vérifier.');
    const two = card('c1', {
      conflicts: [
        { field: 'email', values: [] },
        { field: 'commune', values: [] },
      ],
    });
    expect(conflictsSummary(two)).toBe('Plusieurs valeurs pour les champs « commune », « courriel » : à vérifier.');
  });

  it('describes organisation, function and status', () => {
    expect(organisationLine(card('c1', { organisation: 'MSP', function: 'Médecin' }))).toBe('MSP · Médecin');
    expect(organisationLine(card('c1', { function: 'Médecin' }))).toBe('Médecin');
    expect(statusLine(card('c1', { status: 'titulaire' }))).toBe('Titulaire');
    expect(statusLine(card('c1', { status: 'remplaçant', statusUntil: '2026-12-31' }))).toBe('Remplaçant au 31/12/2026');
    expect(statusLine(card('c1', {}))).toBe('');
  });
});

describe('distinctValues and sortCards', () => {
  const cards = [
    card('1', { name: 'Émile Zola', commune: 'Figeac', organisation: 'Commune de Figeac' }),
    card('2', { name: 'anne Roux', commune: 'Cajarc' }),
    card('3', { name: 'Bruno Bel', commune: 'cajarc', organisation: 'Maison de santé' }),
    card('4', { name: 'Zoé Abel', commune: 'Cajarc', organisation: '' }),
  ];

  it('offers each value once, in French order', () => {
    expect(distinctValues(cards, 'commune')).toEqual(['Cajarc', 'cajarc', 'Figeac']);
    expect(distinctValues(cards, 'organisation')).toEqual(['Commune de Figeac', 'Maison de santé']);
  });

  it('sorts by name ignoring case and accents, or by another field with the empty ones last', () => {
    expect(sortCards(cards, 'name').map((c) => c.id)).toEqual(['2', '3', '1', '4']);
    expect(sortCards(cards, 'commune').map((c) => c.id)).toEqual(['2', '3', '4', '1']);
    expect(sortCards(cards, 'organisation').map((c) => c.id)).toEqual(['1', '3', '2', '4']);
  });
});

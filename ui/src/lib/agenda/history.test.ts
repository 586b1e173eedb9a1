import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../types';
import { authorLabel, historyLines } from './history';

const entry = (over: Partial<HistoryEntry>): HistoryEntry => ({
  author: 'Camille Martin',
  device: '0123456789abcdef0123456789abcdef',
  at: '2026-12-01T13:05:00Z',
  mine: false,
  refused: null,
  ...over,
});

describe('history', () => {
  it('says who created the item (the oldest, last entry) and who modified it since, in local time', () => {
    const lines = historyLines([
      entry({ author: 'Alix Durand', at: '2026-12-02T08:30:00Z' }),
      entry({ author: 'Camille Martin', at: '2026-12-01T13:05:00Z', mine: true }),
    ]);
    expect(lines.map((l) => l.text)).toEqual([
      'Modifié par Alix Durand le 02/12/2026 09:30',
      'Créé par Camille Martin (vous) le 01/12/2026 14:05',
    ]);
    expect(lines.map((l) => l.mine)).toEqual([false, true]);
  });

  it('shows a change every computer refused as refused, not as a modification', () => {
    const lines = historyLines([
      entry({ author: 'Mallory', at: '2026-12-02T08:30:00Z', refused: 'only its author or an admin closes a poll' }),
      entry({ author: 'Camille Martin', at: '2026-12-01T13:05:00Z' }),
    ]);
    expect(lines[0].text).toBe(
      'Modification de Mallory refusée le 02/12/2026 09:30 : elle ne respecte pas les règles de l’élément',
    );
    expect(lines[1].text).toBe('Créé par Camille Martin le 01/12/2026 14:05');
  });

  it('a single entry is the creation', () => {
    expect(historyLines([entry({ at: '2026-07-14T08:00:00Z' })]).map((l) => l.text)).toEqual([
      'Créé par Camille Martin le 14/07/2026 10:00',
    ]);
  });

  it('names a device the membership does not know by the start of its id', () => {
    expect(authorLabel(entry({ author: '' }))).toBe('Appareil inconnu (01234567)');
    expect(authorLabel(entry({ author: '  ' }))).toBe('Appareil inconnu (01234567)');
    expect(authorLabel(entry({ author: '', mine: true }))).toBe('vous');
    expect(authorLabel(entry({ author: 'Bruno Petit' }))).toBe('Bruno Petit');
  });

  it('shows a time it cannot read as given', () => {
    expect(historyLines([entry({ at: 'hier' })])[0].text).toBe('Créé par Camille Martin le hier');
  });

  it('is empty for no entry', () => {
    expect(historyLines([])).toEqual([]);
  });
});

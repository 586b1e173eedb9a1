import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import DirectoryPanel from './DirectoryPanel.svelte';
import { installImport } from './fake-import';
import { problemSentence } from './importing';

let backend: FakeBackend;
let space: Space;
let files: ReturnType<typeof installImport>['files'];

beforeEach(() => {
  backend = new FakeBackend().install();
  files = installImport(backend).files;
  space = backend.addSpace('Pays — santé');
  backend.addCardTo(space.id, { name: 'Dr Anne Roux', organisation: 'Maison de santé de Cajarc' });
});

async function openImport(path: string) {
  render(DirectoryPanel, { space });
  await fireEvent.click(await screen.findByTestId('card-import-open'));
  await fireEvent.input(screen.getByTestId('import-path'), { target: { value: path } });
  await fireEvent.click(screen.getByTestId('import-check'));
  return screen.findByTestId('import-preview');
}

describe('importing cards', () => {
  it('shows what a file holds, then imports every card and says so', async () => {
    files.set('/home/claire/annuaire.csv', {
      format: 'csv',
      ignored: ['Couleur'],
      cards: [
        { name: 'Dr Paul Petit', organisation: 'Cabinet de Limogne' },
        { name: 'dr anne roux', organisation: 'MAISON DE SANTE DE CAJARC' },
        { name: 'Mairie de Figeac', kind: 'organisation' },
      ],
    });
    const preview = await openImport('/home/claire/annuaire.csv');
    expect(preview.textContent).toContain('Tableau CSV');
    expect(screen.getByTestId('import-summary').textContent?.replace(/\s+/g, ' ')).toBe(
      '2 fiches à importer, 1 fiche déjà dans l’annuaire (ignorée).',
    );
    expect(screen.getByTestId('import-ignored').textContent).toContain('Couleur');
    expect(screen.getByTestId('import-sample').textContent).toContain('Dr Paul Petit');
    expect(backend.callsOf('import_cards')).toHaveLength(0);

    const submit = screen.getByTestId('import-submit') as HTMLButtonElement;
    expect(submit.textContent?.trim()).toBe('Importer 2 fiches');
    await fireEvent.click(submit);
    await waitFor(() => expect(screen.queryByTestId('import-dialog')).toBeNull());
    expect(screen.getByTestId('import-done').textContent?.replace(/\s+/g, ' ')).toContain(
      '2 fiches importées ; 1 fiche déjà dans l’annuaire, laissée de côté.',
    );
    await waitFor(() => expect(screen.getAllByTestId('card-item')).toHaveLength(3));
  });

  it('lists every wrong line in French and imports nothing', async () => {
    files.set('/home/claire/annuaire.csv', {
      format: 'csv',
      cards: [{ name: 'Dr Paul Petit' }],
      problems: [
        { line: 3, kind: 'missing_name' },
        { line: 4, kind: 'invalid_date', field: 'status_from', value: '31/02/2027' },
      ],
    });
    await openImport('/home/claire/annuaire.csv');
    const problems = screen.getAllByTestId('import-problem').map((p) => p.textContent);
    expect(problems).toEqual([
      'Ligne 3 : le nom manque.',
      'Ligne 4 : « 31/02/2027 » n’est pas une date (JJ/MM/AAAA) pour « Début du remplacement ».',
    ]);
    expect((screen.getByTestId('import-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(backend.callsOf('import_cards')).toHaveLength(0);
    expect(backend.cards.filter((c) => c.space === space.id)).toHaveLength(1);
  });

  it('says in French that a file cannot be read', async () => {
    render(DirectoryPanel, { space });
    await fireEvent.click(await screen.findByTestId('card-import-open'));
    await fireEvent.input(screen.getByTestId('import-path'), { target: { value: '/nulle/part.csv' } });
    await fireEvent.click(screen.getByTestId('import-check'));
    expect((await screen.findByTestId('error-message')).textContent).toContain('Ce fichier ne peut pas être lu');
    expect(screen.queryByTestId('import-preview')).toBeNull();
  });

  it('changing the path asks for a new check before importing', async () => {
    files.set('/a.csv', { format: 'csv', cards: [{ name: 'Dr Paul Petit' }] });
    await openImport('/a.csv');
    expect((screen.getByTestId('import-submit') as HTMLButtonElement).disabled).toBe(false);
    await fireEvent.input(screen.getByTestId('import-path'), { target: { value: '/b.csv' } });
    expect((screen.getByTestId('import-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByTestId('import-preview')).toBeNull();
  });

  it('says whole-file problems as sentences', () => {
    expect(problemSentence({ line: 0, kind: 'unknown_format' })).toMatch(/^Ce n’est ni un tableau CSV/);
    expect(problemSentence({ line: 0, kind: 'too_large', maxBytes: 20 * 1024 * 1024 })).toBe(
      'Le fichier dépasse 20 Mo : découpez-le en plusieurs fichiers.',
    );
    expect(problemSentence({ line: 7, kind: 'too_many_cells', expected: 4, found: 5 })).toBe(
      'Ligne 7 : 5 cellules, alors que la ligne des titres n’a que 4 colonnes.',
    );
  });
});

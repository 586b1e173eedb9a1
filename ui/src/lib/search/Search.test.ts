import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { FakeBackend } from '../fake-backend';
import { destination, kindLabel, snippetPieces } from './hits';

let backend: FakeBackend;
beforeEach(() => {
  backend = new FakeBackend().install();
});

async function type(text: string) {
  await fireEvent.input(screen.getByTestId('search-input'), { target: { value: text } });
}

describe('search helpers', () => {
  it('cuts a snippet into text and matches', () => {
    expect(snippetPieces('Le «Marché» de «Noël» à Figeac')).toEqual([
      { text: 'Le ', match: false },
      { text: 'Marché', match: true },
      { text: ' de ', match: false },
      { text: 'Noël', match: true },
      { text: ' à Figeac', match: false },
    ]);
    expect(snippetPieces('rien')).toEqual([{ text: 'rien', match: false }]);
  });

  it('names kinds in French and knows where they lead', () => {
    expect(['agenda.event', 'directory.card', 'doc.document', 'forum.post', 'forum.topic'].map(kindLabel)).toEqual([
      'Événement',
      'Fiche',
      'Document',
      'Message',
      'Sujet',
    ]);
    const hit = { space: 's', item: 'd', title: '', snippet: '' };
    expect(destination({ ...hit, kind: 'doc.document' })).toEqual({ view: 'documents', item: 'd' });
    expect(destination({ ...hit, kind: 'forum.post' })).toEqual({ view: 'forum', item: null });
  });
});

describe('search box', () => {
  it('finds across spaces regardless of accents, highlights matches and leads to the item', async () => {
    const elus = backend.addSpace('Élus');
    const tourisme = backend.addSpace('Tourisme');
    backend.addEventTo(tourisme.id, {
      title: 'Marché de Noël',
      start: '2026-12-12T10:00:00+01:00',
      end: '2026-12-12T18:00:00+01:00',
    });
    backend.addCardTo(elus.id, { name: 'Office de tourisme', commune: 'Figeac' });
    const doc = backend.addDocumentTo(tourisme.id, 'Programme marché de noël.pdf', { folder: 'Tourisme' });
    render(App);
    await screen.findByTestId('space-title');
    expect(screen.queryByTestId('search-result')).toBeNull();

    await type('marche noel');
    await waitFor(() => expect(screen.getAllByTestId('search-result')).toHaveLength(2));
    const [event, document] = screen.getAllByTestId('search-result');
    expect(event.textContent).toContain('Événement');
    expect(event.textContent).toContain('Marché de Noël');
    expect([...event.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['Marché', 'Noël']);
    expect(document.textContent).toContain('Document');
    expect(backend.callsOf('search').at(-1)).toEqual({ space: null, text: 'marche noel' });

    await fireEvent.click(document);
    await waitFor(() => expect(screen.getByTestId('space-title').textContent).toBe('Tourisme'));
    expect(screen.getByTestId('view-documents').getAttribute('aria-selected')).toBe('true');
    const dialog = await screen.findByTestId('doc-dialog');
    expect(within(dialog).getByText('Programme marché de noël')).toBeTruthy();
    void doc;

    await fireEvent.click(within(dialog).getByTestId('modal-close'));
    await fireEvent.click(screen.getAllByTestId('search-result')[0]);
    await waitFor(() => expect(screen.getByTestId('view-agenda').getAttribute('aria-selected')).toBe('true'));
  });

  it('says « Aucun résultat » and shows nothing for an empty query', async () => {
    backend.addSpace('Élus');
    render(App);
    await screen.findByTestId('space-title');
    await type('introuvable');
    expect((await screen.findByTestId('search-empty')).textContent).toBe('Aucun résultat');
    await type('   ');
    await waitFor(() => expect(screen.queryByTestId('search-empty')).toBeNull());
    expect(backend.callsOf('search')).toHaveLength(1);
  });

  it('leads a forum result to its topic', async () => {
    const space = backend.addSpace('Élus');
    backend.addTopicTo(space.id, 'Voirie communale', 'Qui s’occupe du chemin de Lentillac ?', {
      author: 'Élise Valat',
      device: 'e1'.repeat(32),
    });
    render(App);
    await screen.findByTestId('space-title');
    await type('voirie');
    await waitFor(() => expect(screen.getAllByTestId('search-result')).toHaveLength(1));
    expect(screen.getByTestId('search-result').textContent).toContain('Sujet');
    await fireEvent.click(screen.getByTestId('search-result'));
    expect((await screen.findByTestId('topic-heading')).textContent).toBe('Voirie communale');
  });
});

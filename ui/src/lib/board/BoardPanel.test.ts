import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import BoardPanel from './BoardPanel.svelte';
import { adProblems, newAd } from './board';
import { installBoard } from './fake';

let backend: FakeBackend;
let board: { ads: import('./board').Ad[] };
let space: Space;

beforeEach(() => {
  backend = new FakeBackend().install();
  board = installBoard(backend);
  space = backend.addSpace('Office de tourisme');
});

describe('BoardPanel', () => {
  it('checks the form in French', () => {
    expect(adProblems(newAd())).toEqual(['Le titre de l’annonce est obligatoire.']);
    expect(adProblems({ ...newAd(), title: 'Studio', starts: '2027-06-01', ends: '2027-05-01' })).toEqual([
      'La fin doit être après le début.',
    ]);
  });

  it('posts an announcement, filters by category, and closes it off the board', async () => {
    render(BoardPanel, { space });
    await screen.findByTestId('board-empty');
    await fireEvent.click(screen.getByTestId('ad-new'));
    await fireEvent.input(screen.getByTestId('ad-title'), { target: { value: 'Saisonnier accueil' } });
    await fireEvent.input(screen.getByTestId('ad-commune'), { target: { value: 'Figeac' } });
    await fireEvent.click(screen.getByTestId('ad-submit'));
    await waitFor(() => expect(screen.getAllByTestId('ad')).toHaveLength(1));
    expect(screen.getByTestId('ad').textContent).toContain('Emploi saisonnier · Figeac');
    await fireEvent.change(screen.getByTestId('board-category'), { target: { value: 'housing' } });
    await screen.findByTestId('board-empty');
    await fireEvent.change(screen.getByTestId('board-category'), { target: { value: '' } });
    await fireEvent.click(await screen.findByTestId('ad-close'));
    await screen.findByTestId('board-empty');
    expect(board.ads[0].closed).toBe(true);
    await fireEvent.click(screen.getByTestId('board-all'));
    await screen.findByTestId('ad-closed');
  });
});

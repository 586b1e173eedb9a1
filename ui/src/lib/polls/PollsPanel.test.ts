import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import PollsPanel from './PollsPanel.svelte';
import { installPolls, type FakePolls } from './fake';
import { barWidth, moveInRanking, parseOptions, voteProblem } from './polls';

let backend: FakeBackend;
let polls: FakePolls;
let space: Space;

beforeEach(() => {
  backend = new FakeBackend().install();
  polls = installPolls(backend);
  space = backend.addSpace('Agenda 21');
});

async function create(question: string, options: string, anonymous: boolean) {
  await fireEvent.click(await screen.findByTestId('poll-new'));
  await fireEvent.input(screen.getByTestId('poll-form-question'), { target: { value: question } });
  await fireEvent.input(screen.getByTestId('poll-form-options'), { target: { value: options } });
  const box = screen.getByTestId('poll-form-anonymous') as HTMLInputElement;
  if (box.checked !== anonymous) await fireEvent.click(box);
  await fireEvent.click(screen.getByTestId('poll-form-submit'));
}

describe('poll helpers', () => {
  it('reads options, checks votes and moves ranked options', () => {
    expect(parseOptions('Mardi\n\n Jeudi \nMardi')).toEqual(['Mardi', 'Jeudi']);
    expect(voteProblem('single', 2, [], '')).toBe('Choisissez une option.');
    expect(voteProblem('ranking', 3, [0, 1], '')).toBe('Classez toutes les options.');
    expect(voteProblem('dates', 3, [2], '')).toBeNull();
    expect(voteProblem('text', 0, [], '  ')).toBe('Écrivez votre réponse.');
    expect(moveInRanking([0, 1, 2], 2, -1)).toEqual([0, 2, 1]);
    expect(moveInRanking([0, 1, 2], 0, -1)).toEqual([0, 1, 2]);
    const r = (votes: number) => ({ option: '', votes, points: 0, voters: [] });
    expect(barWidth(r(1), [r(1), r(4)], false)).toBe(25);
    expect(barWidth(r(0), [r(0)], false)).toBe(0);
  });
});

describe('PollsPanel', () => {
  it('refuses a poll without options in French', async () => {
    render(PollsPanel, { space });
    await create('Sans choix ?', '', true);
    const dialog = screen.getByTestId('poll-dialog');
    expect(within(dialog).getByTestId('error-message').textContent).toContain('au moins un choix');
    expect(polls.polls).toHaveLength(0);
  });

  it('states what an anonymous poll guarantees, votes, and shows results after the vote', async () => {
    render(PollsPanel, { space });
    await create('Quel soir pour l’atelier ?', 'Mardi\nJeudi', true);
    await screen.findByTestId('poll-question');
    expect(screen.getByTestId('poll-guarantee').textContent).toContain('l’administrateur du relais sait qui a voté');
    expect(screen.getByTestId('poll-hidden').textContent).toContain('après votre vote');
    await fireEvent.click(screen.getByTestId('poll-vote'));
    expect(screen.getByTestId('error-message').textContent).toContain('Choisissez une option.');
    await fireEvent.click(screen.getAllByTestId('poll-option')[1]);
    await fireEvent.click(screen.getByTestId('poll-vote'));
    await screen.findByTestId('poll-voted');
    const rows = await screen.findAllByTestId('poll-result');
    expect(rows.map((r) => r.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['Mardi 0', 'Jeudi 1']);
    await fireEvent.click(screen.getByTestId('poll-close'));
    await screen.findByTestId('poll-closed');
    expect(screen.queryByTestId('poll-vote')).toBeNull();
  });

  it('names voters in a named poll', async () => {
    render(PollsPanel, { space });
    await create('Réunion publique ?', 'Oui\nNon', false);
    await screen.findByTestId('poll-question');
    expect(screen.getByTestId('poll-guarantee').textContent).toBe('Sondage nominatif : chaque membre voit qui a voté quoi.');
    await fireEvent.click(screen.getAllByTestId('poll-option')[0]);
    await fireEvent.click(screen.getByTestId('poll-vote'));
    await waitFor(() => expect(screen.getAllByTestId('poll-result')[0].textContent).toContain('Camille Martin'));
  });
});

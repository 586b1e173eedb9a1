// Polls (sondages): the backend's types and commands, and the form's checks.

import { call } from '../ipc';
import { splitList } from '../lists';

export type PollMode = 'single' | 'multiple' | 'ranking' | 'dates' | 'text';

export interface PollInput {
  question: string;
  description: string;
  mode: PollMode;
  options: string[];
  /** '' or RFC 3339. */
  opensAt: string;
  /** '' (until closed by hand) or RFC 3339. */
  closesAt: string;
  anonymous: boolean;
  resultsAfter: 'vote' | 'close';
}

export interface Poll extends PollInput {
  id: string;
  space: string;
  closedAt: string;
  createdAt: string;
  createdBy: string;
  deleted: boolean;
}

export interface OptionResult {
  option: string;
  votes: number;
  points: number;
  voters: string[];
}

export interface PollResults {
  poll: Poll;
  open: boolean;
  voted: boolean;
  myChoices: number[];
  visible: boolean;
  ballots: number;
  late: number;
  invalid: number;
  options: OptionResult[];
  answers: string[];
}

export function listPolls(space: string): Promise<Poll[]> {
  return call('list_polls', { space });
}

export function createPoll(space: string, poll: PollInput): Promise<Poll> {
  return call('create_poll', { space, poll });
}

export function closePoll(space: string, id: string): Promise<Poll> {
  return call('close_poll', { space, id });
}

export function pollResults(space: string, id: string): Promise<PollResults> {
  return call('poll_results', { space, id });
}

export function vote(space: string, id: string, choices: number[], text = ''): Promise<PollResults> {
  return call('vote', { space, id, choices, text });
}

export const MODE_LABELS: Record<PollMode, string> = {
  single: 'Choix unique',
  multiple: 'Choix multiple',
  ranking: 'Classement',
  dates: 'Trouver une date',
  text: 'Réponse libre',
};

/** What an anonymous poll guarantees, and what it does not: shown beside the vote. */
export const ANONYMOUS_TEXT =
  'Sondage anonyme : votre vote part chiffré vers le relais, qui vérifie que chaque membre ne vote qu’une fois sans pouvoir lire votre choix, puis le transmet aux membres sans votre nom. Aucun membre, l’auteur du sondage compris, ne peut relier un vote à son auteur à partir de ce que son application reçoit. Ce qui n’est pas garanti : l’administrateur du relais sait qui a voté (pas pour quoi) ; si très peu de membres votent, ou si un vote arrive juste après la connexion de quelqu’un, le moment d’arrivée peut laisser deviner son auteur ; votre ordinateur retient que vous avez voté, pas votre choix.';

export const NAMED_TEXT = 'Sondage nominatif : chaque membre voit qui a voté quoi.';

/** The options typed one per line, trimmed, without blanks or repeats. */
export function parseOptions(text: string): string[] {
  return splitList(text, /\n/);
}

/** Checks a vote before sending it; null when it can be sent, else why not (French). */
export function voteProblem(mode: PollMode, options: number, choices: number[], text: string): string | null {
  if (mode === 'text') return text.trim() ? null : 'Écrivez votre réponse.';
  if (mode === 'single' && choices.length !== 1) return 'Choisissez une option.';
  if (mode === 'ranking' && choices.length !== options) return 'Classez toutes les options.';
  if ((mode === 'multiple' || mode === 'dates') && choices.length === 0) return 'Cochez au moins une option.';
  return null;
}

/** Moves the option at `index` of a ranking up (-1) or down (+1). */
export function moveInRanking(order: number[], index: number, delta: -1 | 1): number[] {
  const to = index + delta;
  if (to < 0 || to >= order.length) return order;
  const next = [...order];
  [next[index], next[to]] = [next[to], next[index]];
  return next;
}

/** The width of an option's bar, in percent of the leading one. */
export function barWidth(result: OptionResult, all: OptionResult[], ranking: boolean): number {
  const value = (r: OptionResult) => (ranking ? r.points : r.votes);
  const top = Math.max(0, ...all.map(value));
  return top === 0 ? 0 : (value(result) / top) * 100;
}

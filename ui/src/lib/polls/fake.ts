// The polls commands for tests: polls and this person's vote in memory, counted the
// way the backend counts (one current vote per member), closed polls refusing votes.

import type { Args, FakeBackend } from '../fake-backend';
import type { OptionResult, Poll, PollInput, PollResults } from './polls';

export interface FakePolls {
  polls: Poll[];
  /** Votes by poll id: one entry per voter name. */
  votes: Map<string, Map<string, { choices: number[]; text: string }>>;
}

export function installPolls(backend: FakeBackend): FakePolls {
  let next = 1;
  const state: FakePolls = { polls: [], votes: new Map() };
  const poll = (id: unknown) => {
    const found = state.polls.find((p) => p.id === id);
    if (!found) throw { code: 'not_found', message: `no poll ${String(id)}` };
    return found;
  };
  const results = (p: Poll): PollResults => {
    const votes = state.votes.get(p.id) ?? new Map();
    const me = votes.get(backend.me.name);
    const open = !p.closedAt;
    const visible = !open || (p.resultsAfter === 'vote' && !!me);
    const options: OptionResult[] = p.options.map((option, i) => {
      const chosen = [...votes.entries()].filter(([, v]) => (p.mode === 'ranking' ? v.choices[0] === i : v.choices.includes(i)));
      return {
        option,
        votes: chosen.length,
        points: [...votes.values()].reduce((n, v) => n + (v.choices.includes(i) ? p.options.length - 1 - v.choices.indexOf(i) : 0), 0),
        voters: p.anonymous ? [] : chosen.map(([name]) => name),
      };
    });
    return {
      poll: p,
      open,
      voted: !!me,
      myChoices: p.anonymous ? [] : (me?.choices ?? []),
      visible,
      ballots: votes.size,
      late: 0,
      invalid: 0,
      options: visible ? options : [],
      answers: visible && p.mode === 'text' ? [...votes.values()].map((v) => v.text).sort() : [],
    };
  };
  backend.handlers.set('list_polls', () => [...state.polls].reverse());
  backend.handlers.set('create_poll', (args: Args) => {
    const input = args.poll as PollInput;
    if (!input.question.trim()) throw { code: 'empty_title', message: 'empty' };
    if (input.mode !== 'text' && input.options.length === 0) throw { code: 'poll_no_option', message: 'no option' };
    const made: Poll = { ...input, id: `poll-${next++}`, space: String(args.space), closedAt: '', createdAt: '', createdBy: backend.me.name, deleted: false };
    state.polls.push(made);
    return made;
  });
  backend.handlers.set('close_poll', (args: Args) => {
    const p = poll(args.id);
    p.closedAt = new Date().toISOString();
    return p;
  });
  backend.handlers.set('poll_results', (args: Args) => results(poll(args.id)));
  backend.handlers.set('vote', (args: Args) => {
    const p = poll(args.id);
    if (p.closedAt) throw { code: 'poll_closed', message: 'closed' };
    const votes = state.votes.get(p.id) ?? new Map();
    votes.set(backend.me.name, { choices: args.choices as number[], text: String(args.text ?? '') });
    state.votes.set(p.id, votes);
    return results(p);
  });
  return state;
}

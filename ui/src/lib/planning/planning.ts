// Planning: weekly rotas per team and on-call rosters with swaps; the backend's types
// and commands.

import { call } from '../ipc';
import { splitList } from '../lists';

export interface TeamInput {
  name: string;
  people: string[];
  shifts: string[];
}

export interface Team extends TeamInput {
  id: string;
  space: string;
  deleted: boolean;
}

export interface RotaWeek {
  team: string;
  teamName: string;
  monday: string;
  days: string[];
  people: string[];
  shifts: string[];
  /** `date|person` → the shifts that person works that day. */
  cells: Record<string, string[]>;
}

export interface RosterSlot {
  start: string;
  end: string;
  /** The member on call (id), after accepted swaps. */
  member: string;
  name: string;
  assigned: string;
}

export interface Swap {
  id: string;
  slot: string;
  from: string;
  fromName: string;
  to: string;
  toName: string;
  status: 'requested' | 'accepted' | 'refused' | 'withdrawn';
  requestedAt: string;
}

export interface Roster {
  id: string;
  space: string;
  name: string;
  slots: RosterSlot[];
  swaps: Swap[];
  now: RosterSlot | null;
  deleted: boolean;
}

export const listTeams = (space: string): Promise<Team[]> => call('list_teams', { space });
export const addTeam = (space: string, team: TeamInput): Promise<Team> => call('add_team', { space, team });
export const rotaWeek = (space: string, team: string, date: string): Promise<RotaWeek> => call('rota_week', { space, team, date });
export const setRota = (space: string, team: string, date: string, person: string, shift: string, on: boolean): Promise<RotaWeek> =>
  call('set_rota', { space, team, date, person, shift, on });
export const copyPreviousWeek = (space: string, team: string, date: string): Promise<RotaWeek> =>
  call('copy_previous_week', { space, team, date });
export const exportRota = async (space: string, team: string, date: string, out: string): Promise<void> => {
  await call<null>('export_rota', { space, team, date, out });
};
export const listRosters = (space: string): Promise<Roster[]> => call('list_rosters', { space });
export const addRoster = (space: string, name: string): Promise<Roster> => call('add_roster', { space, name });
export const setRosterSlot = (space: string, roster: string, start: string, end: string, member: string): Promise<Roster> =>
  call('set_roster_slot', { space, roster, start, end, member });
export const requestSwap = (space: string, roster: string, slot: string, to: string): Promise<Roster> =>
  call('request_swap', { space, roster, slot, to });
export const answerSwap = (space: string, roster: string, swap: string, accept: boolean): Promise<Roster> =>
  call('answer_swap', { space, roster, swap, accept });

/** The names typed one per line (or separated by commas), trimmed, without repeats. */
export function parseNames(text: string): string[] {
  return splitList(text, /[\n,]/);
}

/** `YYYY-MM-DD` `days` after `date`. */
export function shiftDay(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const next = new Date(y, m - 1, d + days);
  return `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, '0')}-${String(next.getDate()).padStart(2, '0')}`;
}

/** Whether `person` works `shift` on `day` in the week. */
export function works(week: RotaWeek, day: string, person: string, shift: string): boolean {
  return week.cells[`${day}|${person}`]?.includes(shift) ?? false;
}

export const SWAP_LABELS: Record<Swap['status'], string> = {
  requested: 'demandé',
  accepted: 'accepté',
  refused: 'refusé',
  withdrawn: 'retiré',
};

// The planning commands for tests: teams, their weeks' cells and rosters in memory.

import type { Args, FakeBackend } from '../fake-backend';
import type { Roster, RotaWeek, Team, TeamInput } from './planning';
import { shiftDay } from './planning';

export interface FakePlanning {
  teams: Team[];
  /** `team|date|person|shift` switched on. */
  cells: Set<string>;
  rosters: Roster[];
}

export function installPlanning(backend: FakeBackend): FakePlanning {
  let next = 1;
  const state: FakePlanning = { teams: [], cells: new Set(), rosters: [] };
  const team = (id: unknown) => {
    const found = state.teams.find((t) => t.id === id);
    if (!found) throw { code: 'not_found', message: `no team ${String(id)}` };
    return found;
  };
  const mondayOf = (date: string) => {
    const [y, m, d] = date.split('-').map(Number);
    const back = (new Date(y, m - 1, d).getDay() + 6) % 7;
    return shiftDay(date, -back);
  };
  const week = (id: unknown, date: string): RotaWeek => {
    const t = team(id);
    const monday = mondayOf(date);
    const days = Array.from({ length: 7 }, (_, i) => shiftDay(monday, i));
    const cells: Record<string, string[]> = {};
    for (const d of days)
      for (const p of t.people)
        for (const s of t.shifts) if (state.cells.has(`${t.id}|${d}|${p}|${s}`)) (cells[`${d}|${p}`] ??= []).push(s);
    return { team: t.id, teamName: t.name, monday, days, people: t.people, shifts: t.shifts, cells };
  };
  backend.handlers.set('list_teams', () => state.teams);
  backend.handlers.set('add_team', (args: Args) => {
    const input = args.team as TeamInput;
    if (!input.name.trim()) throw { code: 'empty_title', message: 'empty' };
    const made: Team = { ...input, shifts: input.shifts.length ? input.shifts : ['Matin', 'Après-midi'], id: `team-${next++}`, space: String(args.space), deleted: false };
    state.teams.push(made);
    return made;
  });
  backend.handlers.set('rota_week', (args: Args) => week(args.team, String(args.date)));
  backend.handlers.set('set_rota', (args: Args) => {
    const key = `${String(args.team)}|${String(args.date)}|${String(args.person)}|${String(args.shift)}`;
    if (args.on) state.cells.add(key);
    else state.cells.delete(key);
    return week(args.team, String(args.date));
  });
  backend.handlers.set('copy_previous_week', (args: Args) => {
    const t = team(args.team);
    const monday = mondayOf(String(args.date));
    for (let i = 0; i < 7; i++)
      for (const p of t.people)
        for (const s of t.shifts) {
          const before = `${t.id}|${shiftDay(monday, i - 7)}|${p}|${s}`;
          const now = `${t.id}|${shiftDay(monday, i)}|${p}|${s}`;
          if (state.cells.has(before)) state.cells.add(now);
          else state.cells.delete(now);
        }
    return week(t.id, String(args.date));
  });
  backend.handlers.set('list_rosters', () => state.rosters);
  backend.handlers.set('add_roster', (args: Args) => {
    const made: Roster = { id: `roster-${next++}`, space: String(args.space), name: String(args.name), slots: [], swaps: [], now: null, deleted: false };
    state.rosters.push(made);
    return made;
  });
  const roster = (id: unknown) => {
    const found = state.rosters.find((r) => r.id === id);
    if (!found) throw { code: 'not_found', message: `no roster ${String(id)}` };
    return found;
  };
  const name = (space: unknown, member: string) => backend.members[String(space)]?.find((m) => m.id === member)?.name ?? '';
  backend.handlers.set('set_roster_slot', (args: Args) => {
    const r = roster(args.roster);
    const member = String(args.member);
    r.slots.push({ start: new Date(String(args.start)).toISOString(), end: new Date(String(args.end)).toISOString(), member, name: name(args.space, member), assigned: member });
    return r;
  });
  backend.handlers.set('request_swap', (args: Args) => {
    const r = roster(args.roster);
    const me = backend.members[String(args.space)]?.find((m) => m.isMe);
    const to = String(args.to);
    r.swaps.push({ id: `swap-${next++}`, slot: String(args.slot), from: me?.id ?? '', fromName: me?.name ?? '', to, toName: name(args.space, to), status: 'requested', requestedAt: '' });
    return r;
  });
  backend.handlers.set('answer_swap', (args: Args) => {
    const r = roster(args.roster);
    const swap = r.swaps.find((s) => s.id === args.swap);
    if (!swap) throw { code: 'not_found', message: 'no swap' };
    swap.status = args.accept ? 'accepted' : 'refused';
    if (args.accept) {
      const slot = r.slots.find((s) => s.start === swap.slot);
      if (slot) {
        slot.member = swap.to;
        slot.name = swap.toName;
      }
    }
    return r;
  });
  return state;
}

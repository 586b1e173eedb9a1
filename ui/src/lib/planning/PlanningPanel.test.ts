import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Space } from '../types';
import PlanningPanel from './PlanningPanel.svelte';
import { installPlanning, type FakePlanning } from './fake';
import { parseNames, shiftDay } from './planning';

let backend: FakeBackend;
let planning: FakePlanning;
let space: Space;

beforeEach(() => {
  backend = new FakeBackend().install();
  planning = installPlanning(backend);
  space = backend.addSpace('Réseau santé');
});

describe('planning helpers', () => {
  it('reads names and moves days across months', () => {
    expect(parseNames('Anne\nBruno, Anne ,')).toEqual(['Anne', 'Bruno']);
    expect(shiftDay('2027-01-29', 7)).toBe('2027-02-05');
    expect(shiftDay('2027-03-01', -1)).toBe('2027-02-28');
  });
});

describe('PlanningPanel', () => {
  it('creates a team, puts a person on a shift, and copies the week into the next', async () => {
    render(PlanningPanel, { space });
    await fireEvent.click(await screen.findByTestId('team-new'));
    await fireEvent.input(screen.getByTestId('team-name'), { target: { value: 'Accueil' } });
    await fireEvent.input(screen.getByTestId('team-people'), { target: { value: 'Anne\nBruno' } });
    await fireEvent.click(screen.getByTestId('team-submit'));
    await screen.findByTestId('rota-grid');
    const first = screen.getAllByTestId('rota-cell')[0] as HTMLInputElement;
    expect(first.getAttribute('aria-label')).toContain('Anne');
    expect(first.getAttribute('aria-label')).toContain('Matin');
    await fireEvent.click(first);
    await waitFor(() => expect(planning.cells.size).toBe(1));
    await fireEvent.click(screen.getByTestId('rota-next'));
    await waitFor(() => expect((screen.getAllByTestId('rota-cell')[0] as HTMLInputElement).checked).toBe(false));
    await fireEvent.click(screen.getByTestId('rota-copy'));
    await waitFor(() => expect((screen.getAllByTestId('rota-cell')[0] as HTMLInputElement).checked).toBe(true));
    expect(planning.cells.size).toBe(2);
  });

  it('shows who is on call and lets the member asked accept a swap', async () => {
    const bruno = backend.addMember(space.id, { name: 'Bruno' });
    const me = backend.members[space.id].find((m) => m.isMe)!;
    const r = (await backend.handlers.get('add_roster')!({ space: space.id, name: 'Garde infirmière' })) as { id: string };
    const start = new Date(Date.now() - 3_600_000).toISOString();
    const end = new Date(Date.now() + 3_600_000).toISOString();
    backend.handlers.get('set_roster_slot')!({ space: space.id, roster: r.id, start, end, member: bruno.id });
    planning.rosters[0].now = planning.rosters[0].slots[0];
    planning.rosters[0].swaps.push({ id: 'swap-x', slot: planning.rosters[0].slots[0].start, from: bruno.id, fromName: 'Bruno', to: me.id, toName: me.name, status: 'requested', requestedAt: '' });
    render(PlanningPanel, { space });
    await fireEvent.click(await screen.findByTestId('planning-tab-oncall'));
    const roster = await screen.findByTestId('roster');
    expect(within(roster).getByTestId('roster-now').textContent).toContain('Bruno');
    await fireEvent.click(within(roster).getByTestId('swap-accept'));
    await waitFor(() => expect(planning.rosters[0].slots[0].name).toBe(me.name));
    await waitFor(() => expect(screen.getAllByTestId('roster-slot')[0].textContent).toContain(me.name));
  });
});

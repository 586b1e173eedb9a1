import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import { itemHistory } from '../ipc';
import type { Space } from '../types';
import AgendaPanel from './AgendaPanel.svelte';

let backend: FakeBackend;
let space: Space;

beforeEach(() => {
  backend = new FakeBackend().install();
  space = backend.addSpace('Pays — agents');
});

async function openList() {
  await fireEvent.click(screen.getByTestId('tab-list'));
}

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

describe('AgendaPanel', () => {
  it('lists the events of the space grouped by day', async () => {
    backend.addEventTo(space.id, { title: 'Bureau', start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:00:00+01:00' });
    backend.addEventTo(space.id, {
      title: 'Conseil communautaire',
      start: '2026-12-01T14:00:00+01:00',
      end: '2026-12-01T16:00:00+01:00',
      place: 'Salle des fêtes',
    });
    render(AgendaPanel, { space });
    await openList();
    await waitFor(() => expect(screen.getAllByTestId('event-row')).toHaveLength(2));
    const days = screen.getAllByTestId('event-day');
    expect(days.map((d) => d.querySelector('h3')?.textContent)).toEqual([
      'mardi 1 décembre 2026',
      'mercredi 2 décembre 2026',
    ]);
    const first = within(days[0]).getByTestId('event-row');
    expect(first.textContent).toContain('Conseil communautaire');
    expect(first.textContent).toContain('Salle des fêtes');
    expect(first.textContent).toContain('14:00 – 16:00');
  });

  it('adds an event through the form and shows it in the list', async () => {
    render(AgendaPanel, { space });
    await openList();
    await waitFor(() => screen.getByTestId('event-list-empty'));
    await fireEvent.click(screen.getByTestId('event-add-open'));
    await fill('event-title', 'Conseil communautaire');
    await fill('event-start', '2026-12-01T14:00');
    await fill('event-end', '2026-12-01T16:00');
    await fill('event-place', 'Salle des fêtes');
    await fireEvent.click(screen.getByTestId('event-submit'));

    await waitFor(() => expect(screen.queryByTestId('event-dialog')).toBeNull());
    expect(backend.callsOf('add_event')).toEqual([
      {
        space: space.id,
        event: {
          title: 'Conseil communautaire',
          start: '2026-12-01T14:00:00+01:00',
          end: '2026-12-01T16:00:00+01:00',
          allDay: false,
          place: 'Salle des fêtes',
          theme: '',
          description: '',
        },
      },
    ]);
    await waitFor(() => expect(screen.getByTestId('event-row').textContent).toContain('Conseil communautaire'));
  });

  it('shows the French message and calls nothing when the title is empty', async () => {
    render(AgendaPanel, { space });
    await fireEvent.click(screen.getByTestId('event-add-open'));
    await fireEvent.click(screen.getByTestId('event-submit'));
    expect(screen.getByTestId('error-message').textContent).toContain('Le titre est obligatoire.');
    expect(screen.getByTestId('event-title').getAttribute('aria-invalid')).toBe('true');
    expect(backend.callsOf('add_event')).toEqual([]);
  });

  it('shows the backend error with its detail when the backend refuses', async () => {
    backend.failures.set('add_event', { code: 'end_before_start', message: 'end 13:00 < start 14:00' });
    render(AgendaPanel, { space });
    await fireEvent.click(screen.getByTestId('event-add-open'));
    await fill('event-title', 'Réunion');
    await fireEvent.click(screen.getByTestId('event-submit'));
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toContain('La fin doit être après le début.');
    expect(screen.getByTestId('error-detail').textContent).toContain('end 13:00 < start 14:00');
    expect(screen.getByTestId('event-dialog')).toBeTruthy();
  });

  it('sends an all-day event as midnight to midnight after the last day', async () => {
    render(AgendaPanel, { space });
    await fireEvent.click(screen.getByTestId('event-add-open'));
    await fill('event-title', 'Marché de Noël');
    await fireEvent.click(screen.getByTestId('event-allday'));
    expect(screen.getByTestId('event-start').getAttribute('type')).toBe('date');
    await fill('event-start', '2026-12-12');
    await fill('event-end', '2026-12-13');
    await fireEvent.click(screen.getByTestId('event-submit'));
    await waitFor(() => expect(backend.callsOf('add_event')).toHaveLength(1));
    expect(backend.callsOf('add_event')[0].event).toMatchObject({
      allDay: true,
      start: '2026-12-12T00:00:00+01:00',
      end: '2026-12-14T00:00:00+01:00',
    });
  });

  it('edits an event clicked in the list', async () => {
    const stored = backend.addEventTo(space.id, {
      title: 'Bureau',
      start: '2026-12-02T09:00:00+01:00',
      end: '2026-12-02T10:00:00+01:00',
    });
    render(AgendaPanel, { space });
    await openList();
    await fireEvent.click(await screen.findByTestId('event-row'));
    const title = screen.getByTestId('event-title') as HTMLInputElement;
    expect(title.value).toBe('Bureau');
    expect((screen.getByTestId('event-start') as HTMLInputElement).value).toBe('2026-12-02T09:00');
    await fill('event-title', 'Bureau communautaire');
    await fireEvent.click(screen.getByTestId('event-submit'));
    await waitFor(() => expect(screen.getByTestId('event-row').textContent).toContain('Bureau communautaire'));
    expect(backend.callsOf('update_event')[0]).toMatchObject({ space: space.id, id: stored.id });
  });

  it('moves an event to the trash and restores it', async () => {
    backend.addEventTo(space.id, { title: 'Bureau', start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:00:00+01:00' });
    render(AgendaPanel, { space });
    await openList();
    await fireEvent.click(await screen.findByTestId('event-row'));
    await fireEvent.click(screen.getByTestId('event-delete'));
    await waitFor(() => screen.getByTestId('event-list-empty'));

    await fireEvent.click(screen.getByTestId('tab-trash'));
    expect(screen.getByTestId('tab-trash').textContent).toContain('(1)');
    const row = await screen.findByTestId('trash-row');
    expect(row.textContent).toContain('Bureau');
    await fireEvent.click(within(row).getByText('Restaurer'));
    await waitFor(() => screen.getByTestId('trash-empty'));
    await openList();
    expect(screen.getByTestId('event-row').textContent).toContain('Bureau');
  });

  it('reloads when the version changes (the backend reported changed items)', async () => {
    const view = render(AgendaPanel, { space, version: 0 });
    await openList();
    await waitFor(() => screen.getByTestId('event-list-empty'));
    backend.addEventTo(space.id, { title: 'Arrivé du relais', start: '2026-12-03T09:00:00+01:00', end: '2026-12-03T10:00:00+01:00' });
    await view.rerender({ space, version: 1 });
    await waitFor(() => expect(screen.getByTestId('event-row').textContent).toContain('Arrivé du relais'));
  });

  it('shows the month grid by default with the events of the space', async () => {
    backend.addEventTo(space.id, { title: 'Conseil', start: '2026-12-01T14:00:00+01:00', end: '2026-12-01T16:00:00+01:00' });
    render(AgendaPanel, { space });
    expect(screen.getByTestId('tab-month').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId('month-view')).toBeTruthy();
  });

  it('offers no change to a reader: no new event, a read-only event, no restore', async () => {
    const readers = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    backend.addEventTo(readers.id, { title: 'Bureau', start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:00:00+01:00' });
    const gone = backend.addEventTo(readers.id, { title: 'Ancien', start: '2026-12-03T09:00:00+01:00', end: '2026-12-03T10:00:00+01:00' });
    gone.deleted = true;
    render(AgendaPanel, { space: readers, readonly: true });
    expect(screen.queryByTestId('event-add-open')).toBeNull();
    await openList();
    await fireEvent.click(await screen.findByTestId('event-row'));
    expect(screen.getByTestId('event-readonly').textContent).toContain('consulter l’agenda');
    expect(screen.queryByTestId('event-submit')).toBeNull();
    expect(screen.queryByTestId('event-delete')).toBeNull();
    expect(screen.getByTestId('event-title').closest('fieldset')?.disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('event-cancel'));
    await fireEvent.click(screen.getByTestId('tab-trash'));
    expect((await screen.findByTestId('trash-row')).textContent).toContain('Ancien');
    expect(screen.queryByTestId('trash-restore')).toBeNull();
  });
});

describe('EventDialog history', () => {
  async function openHistory(title: string) {
    render(AgendaPanel, { space });
    await openList();
    const row = (await screen.findAllByTestId('event-row')).find((r) => r.textContent?.includes(title));
    await fireEvent.click(row!);
    const history = screen.getByTestId('event-history') as HTMLDetailsElement;
    await fireEvent.click(history.querySelector('summary')!);
    return history;
  }

  it('says who created and modified an event, newest first, in local time', async () => {
    const alix = backend.addMember(space.id, { name: 'Alix Durand', devices: ['d-alix'] });
    backend.now = () => new Date('2026-11-20T09:00:00Z');
    const stored = backend.addEventTo(space.id, {
      title: 'Bureau',
      start: '2026-12-02T09:00:00+01:00',
      end: '2026-12-02T10:00:00+01:00',
    });
    backend.recordChange(stored.id, alix.devices[0], '2026-11-21T13:30:00Z');
    backend.recordChange(stored.id, 'deadbeef0123456789', '2026-11-22T07:05:00Z');

    const history = await openHistory('Bureau');
    expect(history.querySelector('summary')?.textContent).toBe('Historique des modifications');
    await waitFor(() => expect(within(history).getAllByTestId('history-row')).toHaveLength(3));
    expect(within(history).getAllByTestId('history-row').map((r) => r.textContent)).toEqual([
      'Modifié par Appareil inconnu (deadbeef) le 22/11/2026 08:05',
      'Modifié par Alix Durand le 21/11/2026 14:30',
      'Créé par Camille Martin (vous) le 20/11/2026 10:00',
    ]);
    expect(backend.callsOf('item_history')).toEqual([{ space: space.id, id: stored.id }]);
  });

  it('records one’s own edit: the next opening shows it', async () => {
    backend.addEventTo(space.id, { title: 'Bureau', start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:00:00+01:00' });
    let history = await openHistory('Bureau');
    await waitFor(() => expect(within(history).getAllByTestId('history-row')).toHaveLength(1));
    await fill('event-title', 'Bureau communautaire');
    await fireEvent.click(screen.getByTestId('event-submit'));
    await waitFor(() => expect(screen.getByTestId('event-row').textContent).toContain('Bureau communautaire'));

    await fireEvent.click(screen.getByTestId('event-row'));
    history = screen.getByTestId('event-history') as HTMLDetailsElement;
    await waitFor(() => expect(within(history).getAllByTestId('history-row')).toHaveLength(2));
    const rows = within(history).getAllByTestId('history-row').map((r) => r.textContent);
    expect(rows[0]).toMatch(/^Modifié par Camille Martin \(vous\) le /);
    expect(rows[1]).toMatch(/^Créé par Camille Martin \(vous\) le /);
  });

  it('counts putting in the trash and restoring as changes', async () => {
    const stored = backend.addEventTo(space.id, {
      title: 'Bureau',
      start: '2026-12-02T09:00:00+01:00',
      end: '2026-12-02T10:00:00+01:00',
    });
    render(AgendaPanel, { space });
    await openList();
    await fireEvent.click(await screen.findByTestId('event-row'));
    await fireEvent.click(screen.getByTestId('event-delete'));
    await fireEvent.click(screen.getByTestId('tab-trash'));
    await fireEvent.click(within(await screen.findByTestId('trash-row')).getByText('Restaurer'));
    await waitFor(() => screen.getByTestId('trash-empty'));
    const entries = await itemHistory(space.id, stored.id);
    expect(entries).toHaveLength(3);
    expect(entries.every((e) => e.mine && e.author === 'Camille Martin' && e.device === 'device-1')).toBe(true);
    expect(entries.every((e) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(e.at))).toBe(true);
  });

  it('has no history for a new event', async () => {
    render(AgendaPanel, { space });
    await fireEvent.click(screen.getByTestId('event-add-open'));
    expect(screen.getByTestId('event-dialog')).toBeTruthy();
    expect(screen.queryByTestId('event-history')).toBeNull();
    expect(backend.callsOf('item_history')).toEqual([]);
  });

  it('shows why the history could not be loaded, and still lets the event be edited', async () => {
    backend.addEventTo(space.id, { title: 'Bureau', start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:00:00+01:00' });
    backend.failures.set('item_history', { code: 'internal', message: 'database is locked' });
    const history = await openHistory('Bureau');
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toContain('erreur inattendue');
    expect(error.textContent).toContain('database is locked');
    expect(within(history).queryAllByTestId('history-row')).toEqual([]);

    await fill('event-title', 'Bureau communautaire');
    await fireEvent.click(screen.getByTestId('event-submit'));
    await waitFor(() => expect(screen.queryByTestId('event-dialog')).toBeNull());
    expect(backend.callsOf('update_event')).toHaveLength(1);
  });

  it('shows the history to a reader too', async () => {
    const readers = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    backend.addEventTo(readers.id, { title: 'Bureau', start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:00:00+01:00' });
    render(AgendaPanel, { space: readers, readonly: true });
    await openList();
    await fireEvent.click(await screen.findByTestId('event-row'));
    const history = screen.getByTestId('event-history');
    await waitFor(() => expect(within(history).getAllByTestId('history-row')).toHaveLength(1));
    expect(within(history).getByTestId('history-row').textContent).toMatch(/^Créé par Camille Martin \(vous\) le /);
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
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

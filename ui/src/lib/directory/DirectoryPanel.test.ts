import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Member, Space } from '../types';
import DirectoryPanel from './DirectoryPanel.svelte';

let backend: FakeBackend;
let space: Space;

/** Device ids as the backend gives them: 64 hex characters. */
const ALICE_DEVICE = 'a11ce001' + '2'.repeat(56);
const BRUNO_DEVICE = 'b2b2b2b2' + '3'.repeat(56);

beforeEach(() => {
  backend = new FakeBackend().install();
  space = backend.addSpace('Pays — santé');
});

/** Three cards in two communes, two organisations, two disciplines. */
function populate(into: Space = space) {
  const roux = backend.addCardTo(into.id, {
    name: 'Dr Anne Roux',
    organisation: 'Maison de santé de Cajarc',
    function: 'Médecin',
    commune: 'Cajarc',
    discipline: 'Médecine générale',
    phone: '05 65 40 00 01',
    email: 'anne.roux@msp-cajarc.fr',
  });
  const bel = backend.addCardTo(into.id, {
    name: 'Bruno Bel',
    organisation: 'Maison de santé de Cajarc',
    function: 'Kinésithérapeute',
    commune: 'Cajarc',
    discipline: 'Kinésithérapie',
  });
  const mairie = backend.addCardTo(into.id, {
    name: 'Mairie de Figeac',
    kind: 'organisation',
    organisation: 'Commune de Figeac',
    commune: 'Figeac',
    phone: '05 65 50 05 40',
  });
  return { roux, bel, mairie };
}

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function items(): Promise<HTMLElement[]> {
  await screen.findAllByTestId('card-item');
  return screen.getAllByTestId('card-item');
}

const names = (rows: HTMLElement[]) => rows.map((r) => r.querySelector('.name')?.textContent);

async function choose(testid: string, value: string) {
  await fireEvent.change(screen.getByTestId(testid), { target: { value } });
}

describe('DirectoryPanel', () => {
  it('shows the cards of the space in French alphabetical order, with their main fields', async () => {
    populate();
    render(DirectoryPanel, { space });
    expect(screen.getByTestId('directory-mode-cards').getAttribute('aria-selected')).toBe('true');
    const cards = await items();
    expect(names(cards)).toEqual(['Bruno Bel', 'Dr Anne Roux', 'Mairie de Figeac']);
    const roux = cards[1].textContent!;
    for (const text of [
      'Maison de santé de Cajarc · Médecin',
      'Cajarc',
      'Médecine générale',
      '05 65 40 00 01',
      'anne.roux@msp-cajarc.fr',
    ]) {
      expect(roux).toContain(text);
    }
    expect(cards[2].textContent).toContain('Organisation');
    expect(screen.getByTestId('directory-count').textContent).toBe('3 fiches');
    expect(backend.callsOf('list_cards')).toContainEqual({
      space: space.id,
      filter: { organisation: null, commune: null, discipline: null, deleted: false },
    });
  });

  it('says so when the directory is empty', async () => {
    render(DirectoryPanel, { space });
    expect((await screen.findByTestId('directory-empty')).textContent).toContain('vide pour l’instant');
    expect(screen.queryByTestId('directory-filter-commune')).toBeNull();
  });

  it('filters by organisation, commune and discipline, with the values present', async () => {
    populate();
    render(DirectoryPanel, { space });
    await items();
    const options = (testid: string) =>
      [...(screen.getByTestId(testid) as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options('directory-filter-organisation')).toEqual([
      'Toutes les organisations',
      'Commune de Figeac',
      'Maison de santé de Cajarc',
    ]);
    expect(options('directory-filter-commune')).toEqual(['Toutes les communes', 'Cajarc', 'Figeac']);
    expect(options('directory-filter-discipline')).toEqual([
      'Toutes les disciplines',
      'Kinésithérapie',
      'Médecine générale',
    ]);

    await choose('directory-filter-commune', 'Cajarc');
    await waitFor(() => expect(names(screen.getAllByTestId('card-item'))).toEqual(['Bruno Bel', 'Dr Anne Roux']));
    expect(backend.callsOf('list_cards')).toContainEqual({
      space: space.id,
      filter: { organisation: null, commune: 'Cajarc', discipline: null, deleted: false },
    });
    // The other filters still offer every value present.
    expect(options('directory-filter-commune')).toEqual(['Toutes les communes', 'Cajarc', 'Figeac']);

    await choose('directory-filter-discipline', 'Médecine générale');
    await waitFor(() => expect(names(screen.getAllByTestId('card-item'))).toEqual(['Dr Anne Roux']));
    expect(screen.getByTestId('directory-count').textContent).toContain('1 fiche sur 3');

    await choose('directory-filter-organisation', 'Commune de Figeac');
    expect((await screen.findByTestId('directory-no-match')).textContent).toBe('Aucune fiche ne correspond à ces filtres.');

    await fireEvent.click(screen.getByTestId('directory-filter-clear'));
    await waitFor(() => expect(screen.getAllByTestId('card-item')).toHaveLength(3));
    expect((screen.getByTestId('directory-filter-commune') as HTMLSelectElement).value).toBe('');
  });

  it('sorts by organisation or commune, cards without one last', async () => {
    populate();
    backend.addCardTo(space.id, { name: 'Aline Sans', commune: 'Assier' });
    render(DirectoryPanel, { space });
    await items();
    await choose('directory-sort', 'commune');
    expect(names(screen.getAllByTestId('card-item'))).toEqual([
      'Aline Sans',
      'Bruno Bel',
      'Dr Anne Roux',
      'Mairie de Figeac',
    ]);
    await choose('directory-sort', 'organisation');
    expect(names(screen.getAllByTestId('card-item'))).toEqual([
      'Mairie de Figeac',
      'Bruno Bel',
      'Dr Anne Roux',
      'Aline Sans',
    ]);
  });

  it('switches between cards and a table with the same cards, filters kept', async () => {
    const { roux } = populate();
    render(DirectoryPanel, { space });
    await items();
    await choose('directory-filter-commune', 'Cajarc');
    await waitFor(() => expect(screen.getAllByTestId('card-item')).toHaveLength(2));

    await fireEvent.click(screen.getByTestId('directory-mode-table'));
    expect(screen.getByTestId('directory-mode-table').getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByTestId('card-item')).toBeNull();
    const table = screen.getByTestId('card-table');
    expect([...table.querySelectorAll('thead th')].map((th) => th.textContent)).toEqual([
      'Nom',
      'Organisation',
      'Fonction',
      'Commune',
      'Discipline',
      'Téléphone',
      'Courriel',
    ]);
    const rows = screen.getAllByTestId('card-row');
    expect(rows.map((r) => r.dataset.cardId)).toEqual([expect.any(String), roux.id]);
    expect([...rows[1].children].map((c) => c.textContent?.trim())).toEqual([
      'Dr Anne Roux',
      'Maison de santé de Cajarc',
      'Médecin',
      'Cajarc',
      'Médecine générale',
      '05 65 40 00 01',
      'anne.roux@msp-cajarc.fr',
    ]);

    await fireEvent.click(within(rows[1]).getByTestId('card-row-open'));
    expect((screen.getByTestId('card-name') as HTMLInputElement).value).toBe('Dr Anne Roux');
    await fireEvent.click(screen.getByTestId('card-cancel'));

    await fireEvent.keyDown(screen.getByTestId('directory-mode-table'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('directory-mode-cards').getAttribute('aria-selected')).toBe('true');
    expect(screen.getAllByTestId('card-item')).toHaveLength(2);
  });

  it('refuses a card without a name, or with a bad email or dates, in French and without calling', async () => {
    render(DirectoryPanel, { space });
    await fireEvent.click(screen.getByTestId('card-add-open'));
    expect(screen.getByTestId('card-public-hint').textContent?.trim()).toBe(
      'Cochez les champs qui pourront figurer dans l’annuaire public ; les autres restent dans l’espace.',
    );
    expect(screen.queryByTestId('card-history')).toBeNull();
    expect(screen.queryByTestId('card-delete')).toBeNull();
    await fireEvent.click(screen.getByTestId('card-submit'));
    expect(screen.getByTestId('error-message').textContent).toContain('Le nom est obligatoire.');
    expect(screen.getByTestId('card-name').getAttribute('aria-invalid')).toBe('true');

    await fill('card-name', 'Dr Anne Roux');
    await fill('card-email', 'anne.roux-at-msp');
    await choose('card-status', 'remplaçant');
    await fill('card-status-from', '2026-12-20');
    await fill('card-status-until', '2026-12-01');
    await fireEvent.click(screen.getByTestId('card-submit'));
    const text = screen.getByTestId('error-message').textContent;
    expect(text).not.toContain('Le nom est obligatoire.');
    expect(text).toContain('Une adresse de courriel n’est pas valide');
    expect(text).toContain('La fin du remplacement doit être le même jour que son début ou après.');
    expect(screen.getByTestId('card-status-until').getAttribute('aria-invalid')).toBe('true');
    expect(backend.callsOf('add_card')).toEqual([]);
  });

  it('adds a card through the form and shows it', async () => {
    render(DirectoryPanel, { space });
    await screen.findByTestId('directory-empty');
    await fireEvent.click(screen.getByTestId('card-add-open'));
    expect(screen.getByTestId('card-dialog').querySelector('h2')?.textContent).toBe('Nouvelle fiche');
    await fill('card-name', '  Dr Anne Roux ');
    await fill('card-organisation', 'Maison de santé de Cajarc');
    await fill('card-commune', 'Cajarc');
    await fill('card-discipline', 'Médecine générale');
    await fill('card-phone', '05 65 40 00 01\n06 12 34 56 78');
    await choose('card-status', 'remplaçant');
    await fill('card-status-from', '2026-12-01');
    await fill('card-status-until', '2026-12-31');
    await fill('card-notes', 'Préfère être appelée le matin.');
    await fireEvent.click(screen.getByTestId('card-public-name'));
    await fireEvent.click(screen.getByTestId('card-public-phone'));
    await fireEvent.click(screen.getByTestId('card-public-status'));
    await fireEvent.click(screen.getByTestId('card-submit'));

    await waitFor(() => expect(screen.queryByTestId('card-dialog')).toBeNull());
    expect(backend.callsOf('add_card')).toEqual([
      {
        space: space.id,
        card: {
          name: 'Dr Anne Roux',
          kind: 'person',
          organisation: 'Maison de santé de Cajarc',
          function: '',
          commune: 'Cajarc',
          discipline: 'Médecine générale',
          specialties: '',
          status: 'remplaçant',
          statusFrom: '2026-12-01',
          statusUntil: '2026-12-31',
          phone: '05 65 40 00 01\n06 12 34 56 78',
          email: '',
          address: '',
          notes: 'Préfère être appelée le matin.',
          public: ['name', 'phone', 'status', 'status_from', 'status_until'],
        },
      },
    ]);
    const card = await screen.findByTestId('card-item');
    expect(card.textContent).toContain('Dr Anne Roux');
    expect(card.textContent).toContain('Remplaçant du 01/12/2026 au 31/12/2026');
    expect(backend.cards[0].public).toEqual(['name', 'phone', 'status', 'status_from', 'status_until']);
  });

  it('adds an organisation, and keeps no dates for a titulaire', async () => {
    render(DirectoryPanel, { space });
    await fireEvent.click(screen.getByTestId('card-add-open'));
    await fireEvent.click(screen.getByTestId('card-kind-organisation'));
    expect(screen.getByTestId('card-dialog').textContent).toContain('Nom de l’organisation');
    await fill('card-name', 'Office de tourisme du Grand Figeac');
    await choose('card-status', 'remplaçant');
    await fill('card-status-from', '2026-12-01');
    await choose('card-status', 'titulaire');
    expect(screen.queryByTestId('card-status-from')).toBeNull();
    await fireEvent.click(screen.getByTestId('card-submit'));
    await waitFor(() => expect(backend.callsOf('add_card')).toHaveLength(1));
    expect(backend.callsOf('add_card')[0].card).toMatchObject({
      kind: 'organisation',
      status: 'titulaire',
      statusFrom: '',
      statusUntil: '',
    });
  });

  it('shows the backend’s refusal with its detail and keeps the form open', async () => {
    backend.failures.set('add_card', { code: 'invalid_input', message: 'the field phone is longer than 500 characters' });
    render(DirectoryPanel, { space });
    await fireEvent.click(screen.getByTestId('card-add-open'));
    await fill('card-name', 'Dr Anne Roux');
    await fireEvent.click(screen.getByTestId('card-submit'));
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toContain('Certaines informations saisies ne sont pas valides.');
    expect(screen.getByTestId('error-detail').textContent).toContain('longer than 500 characters');
    expect(screen.getByTestId('card-dialog')).toBeTruthy();
  });

  it('edits a card clicked in the list', async () => {
    const { roux } = populate();
    render(DirectoryPanel, { space });
    const card = (await items()).find((c) => c.dataset.cardId === roux.id)!;
    await fireEvent.click(card);
    expect(screen.getByTestId('card-dialog').querySelector('h2')?.textContent).toBe('Modifier la fiche');
    expect((screen.getByTestId('card-organisation') as HTMLInputElement).value).toBe('Maison de santé de Cajarc');
    expect((screen.getByTestId('card-phone') as HTMLTextAreaElement).value).toBe('05 65 40 00 01');
    await fill('card-phone', '05 65 40 00 02');
    await fireEvent.click(screen.getByTestId('card-submit'));
    await waitFor(() => expect(screen.queryByTestId('card-dialog')).toBeNull());
    expect(backend.callsOf('update_card')).toEqual([
      {
        space: space.id,
        id: roux.id,
        card: expect.objectContaining({ name: 'Dr Anne Roux', phone: '05 65 40 00 02', commune: 'Cajarc' }),
      },
    ]);
    await waitFor(() =>
      expect(screen.getAllByTestId('card-item').find((c) => c.dataset.cardId === roux.id)?.textContent).toContain(
        '05 65 40 00 02',
      ),
    );
  });

  it('reloads when the version changes (the backend reported changed items)', async () => {
    const view = render(DirectoryPanel, { space, version: 0 });
    await screen.findByTestId('directory-empty');
    backend.addCardTo(space.id, { name: 'Arrivée du relais' });
    await view.rerender({ space, version: 1 });
    expect((await screen.findByTestId('card-item')).textContent).toContain('Arrivée du relais');
  });
});

describe('DirectoryPanel conflicts', () => {
  let alice: Member;

  beforeEach(() => {
    alice = backend.addMember(space.id, { name: 'Alice Vidal', devices: [ALICE_DEVICE] });
    backend.addMember(space.id, { name: 'Bruno Bel', devices: [BRUNO_DEVICE] });
  });

  function conflicted() {
    const card = backend.addCardTo(space.id, {
      name: 'Cabinet infirmier',
      kind: 'organisation',
      commune: 'Cajarc',
      discipline: 'Soins infirmiers',
      phone: '05 65 00 00 00',
    });
    backend.addConflict(card.id, 'phone', [
      { value: '05 65 11 11 11', device: ALICE_DEVICE },
      { value: '05 65 22 22 22', device: BRUNO_DEVICE },
    ]);
    return card;
  }

  it('marks a card with two values on a field, as a card and in the table', async () => {
    const card = conflicted();
    backend.addCardTo(space.id, { name: 'Dr Anne Roux', phone: '05 65 40 00 01' });
    render(DirectoryPanel, { space });
    const [cabinet, roux] = await items();
    expect(cabinet.dataset.cardId).toBe(card.id);
    expect(within(cabinet).getByTestId('card-conflict-badge').textContent).toBe('À vérifier');
    expect(within(cabinet).getByTestId('card-conflict-badge').getAttribute('title')).toBe(
      'Deux valeurs pour le champ « téléphone » : à vérifier.',
    );
    const marker = within(cabinet).getByTestId('card-field-conflict');
    expect(marker.dataset.field).toBe('phone');
    expect(marker.textContent?.trim()).toBe('2 valeurs');
    // The card shows the first value, as every computer does.
    expect(cabinet.textContent).toContain('05 65 11 11 11');
    expect(within(roux).queryByTestId('card-conflict-badge')).toBeNull();

    await fireEvent.click(screen.getByTestId('directory-mode-table'));
    const row = screen.getAllByTestId('card-row').find((r) => r.dataset.cardId === card.id)!;
    expect(within(row).getByTestId('card-conflict-badge')).toBeTruthy();
    const cell = within(row).getByTestId('card-field-conflict').closest('td')!;
    expect(cell.textContent).toContain('05 65 11 11 11');
    expect(cell.textContent).toContain('2 valeurs');
  });

  it('lists every value with its author in the form, and keeps the one chosen', async () => {
    const card = conflicted();
    render(DirectoryPanel, { space });
    await fireEvent.click((await items())[0]);
    const box = screen.getByTestId('card-conflict');
    expect(box.dataset.field).toBe('phone');
    expect(box.textContent).toContain(
      'Deux personnes ont modifié ce champ en même temps, hors ligne. Choisissez la valeur à garder.',
    );
    const values = within(box).getAllByTestId('card-conflict-value');
    expect(values.map((v) => v.querySelector('.value')?.textContent)).toEqual([
      '05 65 11 11 11 — par Alice Vidal',
      '05 65 22 22 22 — par Bruno Bel',
    ]);
    expect((screen.getByTestId('card-phone') as HTMLTextAreaElement).value).toBe('05 65 11 11 11');
    // Something typed meanwhile in another field stays.
    await fill('card-commune', 'Cajarc-sur-Lot');

    await fireEvent.click(within(values[1]).getByTestId('card-pick'));
    await waitFor(() => expect(screen.queryByTestId('card-conflict')).toBeNull());
    expect(backend.callsOf('pick_card_value')).toEqual([
      { space: space.id, id: card.id, field: 'phone', value: '05 65 22 22 22' },
    ]);
    expect((screen.getByTestId('card-phone') as HTMLTextAreaElement).value).toBe('05 65 22 22 22');
    expect((screen.getByTestId('card-commune') as HTMLInputElement).value).toBe('Cajarc-sur-Lot');
    expect(screen.getByTestId('card-dialog')).toBeTruthy();
    // The list behind follows.
    await waitFor(() => expect(screen.queryByTestId('card-conflict-badge')).toBeNull());
    expect(screen.getByTestId('card-item').textContent).toContain('05 65 22 22 22');
  });

  it('names an unknown device by its short id, and shows the kind and dates as words', async () => {
    const card = backend.addCardTo(space.id, { name: 'Dr Paul Mas', status: 'remplaçant', statusFrom: '2026-12-01' });
    backend.addConflict(card.id, 'kind', [
      { value: 'person', device: alice.devices[0] },
      { value: 'organisation', device: 'deadbeef' + '0'.repeat(56) },
    ]);
    backend.addConflict(card.id, 'status_until', [
      { value: '2026-12-24', device: alice.devices[0] },
      { value: '2026-12-31', device: BRUNO_DEVICE },
    ]);
    render(DirectoryPanel, { space });
    await fireEvent.click((await items())[0]);
    const boxes = screen.getAllByTestId('card-conflict');
    expect(boxes.map((b) => b.dataset.field)).toEqual(['kind', 'status_until']);
    expect(within(boxes[0]).getAllByTestId('card-conflict-value').map((v) => v.querySelector('.value')?.textContent)).toEqual([
      'Personne — par Alice Vidal',
      'Organisation — par un appareil inconnu (deadbeef)',
    ]);
    expect(within(boxes[1]).getAllByTestId('card-conflict-value')[1].querySelector('.value')?.textContent).toBe(
      '31/12/2026 — par Bruno Bel',
    );
  });

  it('settles every conflict with the form’s values when the card is saved', async () => {
    const card = conflicted();
    render(DirectoryPanel, { space });
    await fireEvent.click((await items())[0]);
    await fill('card-commune', 'Marcilhac-sur-Célé');
    await fireEvent.click(screen.getByTestId('card-submit'));
    await waitFor(() => expect(screen.queryByTestId('card-dialog')).toBeNull());
    expect(backend.cards.find((c) => c.id === card.id)).toMatchObject({ phone: '05 65 11 11 11', conflicts: [] });
    await waitFor(() => expect(screen.queryByTestId('card-conflict-badge')).toBeNull());
  });

  it('shows why a value could not be kept', async () => {
    conflicted();
    backend.failures.set('pick_card_value', { code: 'not_found', message: 'no item' });
    render(DirectoryPanel, { space });
    await fireEvent.click((await items())[0]);
    await fireEvent.click(screen.getAllByTestId('card-pick')[1]);
    expect((await screen.findByTestId('error-message')).textContent).toContain('Élément introuvable.');
    expect(screen.getByTestId('card-conflict')).toBeTruthy();
  });
});

describe('DirectoryPanel for a reader', () => {
  it('offers no change: no new card, a read-only card, no value to keep, no restore', async () => {
    const readers = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    backend.addMember(readers.id, { name: 'Alice Vidal', devices: [ALICE_DEVICE] });
    const card = backend.addCardTo(readers.id, { name: 'Cabinet infirmier', phone: '05 65 00 00 00' });
    backend.addConflict(card.id, 'phone', [
      { value: '05 65 11 11 11', device: ALICE_DEVICE },
      { value: '05 65 22 22 22', device: BRUNO_DEVICE },
    ]);
    const gone = backend.addCardTo(readers.id, { name: 'Ancienne pharmacie' });
    gone.deleted = true;
    render(DirectoryPanel, { space: readers, readonly: true });
    await fireEvent.click((await items())[0]);
    expect(screen.queryByTestId('card-add-open')).toBeNull();
    expect(screen.getByTestId('card-dialog').querySelector('h2')?.textContent).toBe('Fiche');
    expect(screen.getByTestId('card-readonly').textContent).toContain('consulter l’annuaire');
    expect(screen.getByTestId('card-name').closest('fieldset')?.disabled).toBe(true);
    expect(screen.queryByTestId('card-submit')).toBeNull();
    expect(screen.queryByTestId('card-delete')).toBeNull();
    expect(within(screen.getByTestId('card-conflict')).getAllByTestId('card-conflict-value')).toHaveLength(2);
    expect(screen.queryByTestId('card-pick')).toBeNull();
    await fireEvent.click(screen.getByTestId('card-cancel'));

    await fireEvent.click(screen.getByTestId('directory-trash'));
    expect((await screen.findByTestId('card-trash-row')).textContent).toContain('Ancienne pharmacie');
    expect(screen.queryByTestId('card-restore')).toBeNull();
  });

  it('is refused by the backend too (not_allowed)', async () => {
    const readers = backend.addSpace('Élus', 'relais.test:4433', 'reader');
    // Rendered as if the role were not known yet: the backend still decides.
    render(DirectoryPanel, { space: readers });
    await fireEvent.click(screen.getByTestId('card-add-open'));
    await fill('card-name', 'Intrus');
    await fireEvent.click(screen.getByTestId('card-submit'));
    expect((await screen.findByTestId('error-message')).textContent).toContain(
      'Votre rôle dans cet espace ne permet pas cette action.',
    );
    expect(backend.cards).toEqual([]);
  });
});

describe('DirectoryPanel trash', () => {
  it('moves a card to the trash and restores it', async () => {
    const { roux } = populate();
    render(DirectoryPanel, { space });
    await fireEvent.click((await items()).find((c) => c.dataset.cardId === roux.id)!);
    await fireEvent.click(screen.getByTestId('card-delete'));
    await waitFor(() => expect(screen.getAllByTestId('card-item')).toHaveLength(2));
    expect(backend.callsOf('set_card_deleted')).toEqual([{ space: space.id, id: roux.id, deleted: true }]);

    expect(screen.getByTestId('directory-trash').textContent).toContain('(1)');
    await fireEvent.click(screen.getByTestId('directory-trash'));
    const row = await screen.findByTestId('card-trash-row');
    expect(row.textContent).toContain('Dr Anne Roux');
    expect(row.textContent).toContain('Maison de santé de Cajarc · Médecin');
    expect(backend.callsOf('list_cards')).toContainEqual({
      space: space.id,
      filter: { organisation: null, commune: null, discipline: null, deleted: true },
    });
    await fireEvent.click(within(row).getByTestId('card-restore'));
    await screen.findByTestId('directory-trash-empty');
    expect(backend.callsOf('set_card_deleted')[1]).toEqual({ space: space.id, id: roux.id, deleted: false });
    await fireEvent.click(screen.getByTestId('directory-mode-cards'));
    expect(screen.getAllByTestId('card-item')).toHaveLength(3);
  });
});

describe('CardDialog history', () => {
  it('says who created and modified a card, and counts keeping a value as a change', async () => {
    const alice = backend.addMember(space.id, { name: 'Alice Vidal', devices: [ALICE_DEVICE] });
    backend.now = () => new Date('2026-11-20T09:00:00Z');
    const card = backend.addCardTo(space.id, { name: 'Cabinet infirmier' });
    backend.addConflict(card.id, 'phone', [
      { value: '05 65 11 11 11', device: alice.devices[0] },
      { value: '05 65 22 22 22', device: BRUNO_DEVICE },
    ]);
    render(DirectoryPanel, { space });
    await fireEvent.click((await items())[0]);
    const history = screen.getByTestId('card-history') as HTMLDetailsElement;
    await fireEvent.click(history.querySelector('summary')!);
    await waitFor(() => expect(within(history).getAllByTestId('history-row')).toHaveLength(3));
    expect(within(history).getAllByTestId('history-row').map((r) => r.textContent)).toEqual([
      `Modifié par Appareil inconnu (${BRUNO_DEVICE.slice(0, 8)}) le 20/11/2026 10:00`,
      'Modifié par Alice Vidal le 20/11/2026 10:00',
      'Créé par Camille Martin (vous) le 20/11/2026 10:00',
    ]);
    expect(backend.callsOf('item_history')).toEqual([{ space: space.id, id: card.id }]);

    await fireEvent.click(screen.getAllByTestId('card-pick')[0]);
    await waitFor(() => expect(within(history).getAllByTestId('history-row')).toHaveLength(4));
    expect(within(history).getAllByTestId('history-row')[0].textContent).toMatch(/^Modifié par Camille Martin \(vous\) le /);
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../fake-backend';
import type { Member, Space } from '../types';
import DocumentsPanel from './DocumentsPanel.svelte';

let backend: FakeBackend;
let space: Space;
let elu: Member;
let maire: Member;

const ELU_DEVICE = 'e1e1e1e1' + '4'.repeat(56);
const MAIRE_DEVICE = 'a1a1a1a1' + '5'.repeat(56);

beforeEach(() => {
  backend = new FakeBackend().install();
  space = backend.addSpace('Communauté de communes');
  elu = backend.addMember(space.id, { name: 'Élise Valat', role: 'validator', devices: [ELU_DEVICE] });
  maire = backend.addMember(space.id, { name: 'Marc Issaly', role: 'validator', devices: [MAIRE_DEVICE] });
});

async function fill(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function items(): Promise<HTMLElement[]> {
  await screen.findAllByTestId('doc-item');
  return screen.getAllByTestId('doc-item');
}

function statusOf(row: HTMLElement): { status: string | null; text: string } {
  const badge = within(row).getByTestId('doc-status');
  return { status: badge.getAttribute('data-status'), text: badge.textContent!.trim() };
}

async function openDoc(id: string) {
  await fireEvent.click((await items()).find((r) => r.getAttribute('data-doc-id') === id)!);
  return screen.findByTestId('doc-dialog');
}

describe('DocumentsPanel', () => {
  it('lists the documents by folder, with their status and size', async () => {
    backend.addDocumentTo(space.id, 'Budget 2027.pdf', { folder: 'Délibérations', size: 3 * 1024 * 1024 + 300_000 });
    backend.addDocumentTo(space.id, 'CR conseil du 12 novembre.odt', { folder: 'Comptes rendus', size: 24_576 });
    backend.addDocumentTo(space.id, 'Note.txt', { size: 800 });
    render(DocumentsPanel, { space });
    const rows = await items();
    expect(rows.map((r) => r.querySelector('.title')?.textContent)).toEqual([
      'CR conseil du 12 novembre',
      'Budget 2027',
      'Note',
    ]);
    expect(screen.getAllByTestId('doc-folder-heading').map((h) => h.textContent)).toEqual([
      'Comptes rendus',
      'Délibérations',
      'Sans dossier',
    ]);
    expect(rows[0].textContent).toContain('24 Ko');
    expect(rows[1].textContent).toContain('3,3 Mo');
    expect(rows[2].textContent).toContain('800 o');
    expect(statusOf(rows[0])).toEqual({ status: 'draft', text: 'Brouillon' });

    await fireEvent.change(screen.getByTestId('doc-folder-filter'), { target: { value: 'Délibérations' } });
    await waitFor(() => expect(screen.getAllByTestId('doc-item')).toHaveLength(1));
    expect(screen.getByTestId('doc-count').textContent).toBe('1 document');
  });

  it('says so when there is no document', async () => {
    render(DocumentsPanel, { space });
    expect((await screen.findByTestId('doc-empty')).textContent).toContain('Aucun document');
  });

  it('adds a file typed as a path, in a folder, as a draft', async () => {
    backend.addFile('/home/camille/Documents/Délibération 2026-14.pdf', 51_200);
    render(DocumentsPanel, { space });
    await screen.findByTestId('doc-empty');
    await fireEvent.click(screen.getByTestId('doc-add-open'));
    const folders = [...document.querySelectorAll('#doc-folders option')].map((o) => o.getAttribute('value'));
    expect(folders).toEqual(['Comptes rendus', 'Délibérations', 'Modèles', 'Tourisme']);
    await fill('doc-path', '/home/camille/Documents/Délibération 2026-14.pdf');
    await fill('doc-folder', 'Délibérations');
    await fireEvent.click(screen.getByTestId('doc-add-submit'));
    const rows = await items();
    expect(rows[0].textContent).toContain('Délibération 2026-14');
    expect(statusOf(rows[0])).toEqual({ status: 'draft', text: 'Brouillon' });
    expect(backend.callsOf('add_document')).toEqual([
      { space: space.id, path: '/home/camille/Documents/Délibération 2026-14.pdf', folder: 'Délibérations' },
    ]);
    expect(screen.queryByTestId('doc-path')).toBeNull();
  });

  it('adds a file chosen with the system dialog', async () => {
    backend.addFile('/home/camille/Modèle de courrier.odt');
    backend.picked = '/home/camille/Modèle de courrier.odt';
    render(DocumentsPanel, { space });
    await screen.findByTestId('doc-empty');
    await fireEvent.click(screen.getByTestId('doc-add-open'));
    await fireEvent.click(screen.getByTestId('doc-pick'));
    await waitFor(() =>
      expect((screen.getByTestId('doc-path') as HTMLInputElement).value).toBe('/home/camille/Modèle de courrier.odt'),
    );
    await fireEvent.click(screen.getByTestId('doc-add-submit'));
    expect((await items())[0].textContent).toContain('Modèle de courrier');
  });

  it('explains a file that cannot be read', async () => {
    render(DocumentsPanel, { space });
    await screen.findByTestId('doc-empty');
    await fireEvent.click(screen.getByTestId('doc-add-open'));
    await fill('doc-path', '/nulle/part.pdf');
    await fireEvent.click(screen.getByTestId('doc-add-submit'));
    expect((await screen.findByTestId('error-message')).textContent).toContain('Ce fichier ne peut pas être lu');
  });

  it('submits to every validator, then counts approvals until approved', async () => {
    const doc = backend.addDocumentTo(space.id, 'Budget 2027.pdf', { folder: 'Délibérations' });
    const { rerender } = render(DocumentsPanel, { space, version: 0 });
    const dialog = await openDoc(doc.id);
    await fireEvent.click(within(dialog).getByTestId('doc-submit-open'));
    expect((within(dialog).getByTestId('doc-submit-all') as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(within(dialog).getByTestId('doc-submit-confirm'));
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0]).text).toBe('En attente (0/2)'));
    expect(backend.callsOf('submit_document')).toEqual([{ space: space.id, id: doc.id, validators: [] }]);
    expect(within(dialog).getByTestId('doc-validators').textContent).toContain('Élise Valat, Marc Issaly');

    // Élise approves on her computer; the space's items change: one approval of two.
    backend.decideAs(doc.id, ELU_DEVICE, true);
    await rerender({ space, version: 1 });
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0]).text).toBe('En attente (1/2)'));
    backend.decideAs(doc.id, MAIRE_DEVICE, true);
    await rerender({ space, version: 2 });
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0]).text).toBe('Approuvé'));
    const decisions = within(dialog).getAllByTestId('doc-decision');
    expect(decisions.map((d) => d.textContent?.replace(/\s+/g, ' ').trim().replace(/ le .*/, ''))).toEqual([
      'Approuvé par Élise Valat',
      'Approuvé par Marc Issaly',
    ]);

  });

  it('submits to chosen validators only', async () => {
    const doc = backend.addDocumentTo(space.id, 'Plan tourisme.pdf', { folder: 'Tourisme' });
    render(DocumentsPanel, { space });
    const dialog = await openDoc(doc.id);
    await fireEvent.click(within(dialog).getByTestId('doc-submit-open'));
    await fireEvent.click(within(dialog).getByTestId('doc-submit-some'));
    const boxes = within(dialog).getAllByTestId('doc-submit-validator');
    expect(boxes.map((b) => b.parentElement?.textContent?.trim())).toEqual(['Élise Valat', 'Marc Issaly']);
    await fireEvent.click(within(dialog).getByTestId('doc-submit-confirm'));
    expect(await within(dialog).findByTestId('error-message')).toBeTruthy();
    await fireEvent.click(boxes[1]);
    await fireEvent.click(within(dialog).getByTestId('doc-submit-confirm'));
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0]).text).toBe('En attente (0/1)'));
    expect(backend.callsOf('submit_document')).toEqual([{ space: space.id, id: doc.id, validators: [maire.id] }]);
  });

  it('shows the status change a validator made elsewhere when the version changes', async () => {
    const doc = backend.addDocumentTo(space.id, 'Budget 2027.pdf');
    backend.members[space.id] = backend.members[space.id].filter((m) => m.id !== maire.id);
    const { rerender } = render(DocumentsPanel, { space, version: 0 });
    const dialog = await openDoc(doc.id);
    await fireEvent.click(within(dialog).getByTestId('doc-submit-open'));
    await fireEvent.click(within(dialog).getByTestId('doc-submit-confirm'));
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0]).text).toBe('En attente (0/1)'));
    backend.decideAs(doc.id, ELU_DEVICE, true);
    await rerender({ space, version: 1 });
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0])).toEqual({ status: 'approved', text: 'Approuvé' }));
    const decision = within(screen.getByTestId('doc-dialog')).getByTestId('doc-decision');
    expect(decision.textContent).toContain('Approuvé');
    expect(decision.textContent).toContain('Élise Valat');
  });

  it('lets a validator approve, and marks a new version as changed since the approval', async () => {
    backend.members[space.id][0].role = 'validator';
    const me = backend.myself(space.id);
    const doc = backend.addDocumentTo(space.id, 'Convention.pdf');
    backend.submitAs(doc.id, [me.id]);
    backend.addFile('/tmp/Convention v2.pdf', 2048);
    render(DocumentsPanel, { space });
    const dialog = await openDoc(doc.id);
    expect(statusOf(screen.getAllByTestId('doc-item')[0]).text).toBe('En attente (0/1)');
    await fireEvent.click(within(dialog).getByTestId('doc-approve'));
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0]).status).toBe('approved'));
    expect(backend.callsOf('decide_document')).toEqual([{ space: space.id, id: doc.id, approved: true, comment: '' }]);
    expect(within(dialog).queryByTestId('doc-approve')).toBeNull();

    await fill('doc-version-path', '/tmp/Convention v2.pdf');
    await fireEvent.click(within(dialog).getByTestId('doc-version-add'));
    await waitFor(() =>
      expect(statusOf(screen.getAllByTestId('doc-item')[0])).toEqual({
        status: 'changed_since_approval',
        text: 'Modifié depuis l’approbation',
      }),
    );
    // Decisions are on a version: the new one has none yet.
    expect(within(dialog).queryByTestId('doc-decision')).toBeNull();
    expect(within(dialog).getByTestId('doc-submit-open')).toBeTruthy();
    const rows = within(dialog).getAllByTestId('doc-version-row');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('Convention v2.pdf');
    expect(rows[0].textContent).toContain('2,0 Ko');
    expect(rows[0].textContent).toContain('Camille Martin (vous)');
  });

  it('asks a comment before refusing, and shows it', async () => {
    backend.members[space.id][0].role = 'validator';
    const doc = backend.addDocumentTo(space.id, 'Convention.pdf');
    backend.submitAs(doc.id, [backend.myself(space.id).id, elu.id]);
    // Marc approved, then stopped being a validator: his decision no longer counts.
    backend.decideAs(doc.id, MAIRE_DEVICE, true);
    maire.role = 'editor';
    render(DocumentsPanel, { space });
    const dialog = await openDoc(doc.id);
    await fireEvent.click(within(dialog).getByTestId('doc-refuse'));
    await fireEvent.click(within(dialog).getByTestId('doc-refuse-confirm'));
    expect((await within(dialog).findByTestId('error-message')).textContent).toContain('Un refus doit être motivé');
    expect(backend.callsOf('decide_document')).toEqual([]);
    await fill('doc-refuse-comment', 'Le montant de la ligne 4 est faux.');
    await fireEvent.click(within(dialog).getByTestId('doc-refuse-confirm'));
    await waitFor(() => expect(statusOf(screen.getAllByTestId('doc-item')[0])).toEqual({ status: 'refused', text: 'Refusé' }));
    expect(backend.callsOf('decide_document')).toEqual([
      { space: space.id, id: doc.id, approved: false, comment: 'Le montant de la ligne 4 est faux.' },
    ]);
    const [old, refusal] = within(dialog).getAllByTestId('doc-decision');
    expect(old.textContent).toContain('Approuvé par Marc Issaly');
    expect(within(old).getByTestId('doc-decision-invalid').textContent).toBe('non valable');
    expect(refusal.textContent).toContain('Refusé par Camille Martin');
    expect(refusal.textContent).toContain('Le montant de la ligne 4 est faux.');
    expect(within(refusal).queryByTestId('doc-decision-invalid')).toBeNull();
  });

  it('shows a reader the document without any change', async () => {
    const reader = backend.addSpace('Lecture', 'relais.test:4433', 'reader');
    const doc = backend.addDocumentTo(reader.id, 'Compte rendu.pdf', { addedBy: ELU_DEVICE });
    backend.addMember(reader.id, { name: 'Élise Valat', role: 'validator', devices: [ELU_DEVICE] });
    render(DocumentsPanel, { space: reader, readonly: true });
    await screen.findAllByTestId('doc-item');
    expect(screen.queryByTestId('doc-add-open')).toBeNull();
    const dialog = await openDoc(doc.id);
    expect(within(dialog).queryByTestId('doc-submit-open')).toBeNull();
    expect(within(dialog).queryByTestId('doc-version-new')).toBeNull();
    expect(within(dialog).queryByTestId('doc-approve')).toBeNull();
    expect(within(dialog).getByTestId('doc-version-row').textContent).toContain('par Élise Valat');
    expect(within(dialog).getByTestId('doc-open')).toBeTruthy();
  });

  it('lets a reader comment on a document, and nothing else', async () => {
    const reader = backend.addSpace('Consultation', 'relais.test:4433', 'reader');
    const doc = backend.addDocumentTo(reader.id, 'Projet de PLUi.pdf', { addedBy: ELU_DEVICE });
    render(DocumentsPanel, { space: reader, readonly: true });
    await screen.findAllByTestId('doc-item');
    const dialog = await openDoc(doc.id);
    expect(within(dialog).queryByTestId('doc-version-new')).toBeNull();
    const box = within(dialog).getByTestId('doc-comment-text');
    await fireEvent.input(box, { target: { value: 'La zone 3 empiète sur le captage.' } });
    await fireEvent.click(within(dialog).getByTestId('doc-comment-send'));
    await waitFor(() => expect(backend.callsOf('comment_document')).toHaveLength(1));
    expect(backend.callsOf('comment_document')[0]).toMatchObject({ space: reader.id, document: doc.id, body: 'La zone 3 empiète sur le captage.' });
  });

  it('offers only to save a file of a type the app does not open', async () => {
    const doc = backend.addDocumentTo(space.id, 'facture.pdf.desktop');
    render(DocumentsPanel, { space });
    const dialog = await openDoc(doc.id);
    expect(within(dialog).queryByTestId('doc-open')).toBeNull();
    expect(within(dialog).getByTestId('doc-save-only').textContent).toContain('ne s’ouvre pas depuis Bastide');
    expect(within(within(dialog).getByTestId('doc-version-row')).queryByText('Ouvrir')).toBeNull();
    expect(within(dialog).getByTestId('doc-save')).toBeTruthy();
  });

  it('opens and saves a copy through the system', async () => {
    const doc = backend.addDocumentTo(space.id, 'Compte rendu.pdf');
    backend.picked = '/home/camille/Bureau/Compte rendu.pdf';
    render(DocumentsPanel, { space });
    const dialog = await openDoc(doc.id);
    await fireEvent.click(within(dialog).getByTestId('doc-open'));
    await waitFor(() => expect(backend.opened).toEqual(['Compte rendu.pdf']));
    expect(backend.callsOf('open_document')).toEqual([{ space: space.id, id: doc.id, version: null }]);
    await fireEvent.click(within(dialog).getByTestId('doc-save'));
    await waitFor(() =>
      expect(backend.callsOf('save_document')).toEqual([
        { space: space.id, id: doc.id, version: null, out: '/home/camille/Bureau/Compte rendu.pdf' },
      ]),
    );
    backend.picked = '/nonexistent/x.pdf';
    await fireEvent.click(within(dialog).getByTestId('doc-save'));
    expect((await within(dialog).findByTestId('error-message')).textContent).toContain('ne peut pas être enregistré');
  });
});

describe('DocumentsPanel: comments, templates and the trash', () => {
  it('threads comments and replies under what they answer', async () => {
    const doc = backend.addDocumentTo(space.id, 'Projet de budget.pdf', { folder: 'Délibérations' });
    render(DocumentsPanel, { space });
    const dialog = await openDoc(doc.id);
    await fireEvent.click(within(dialog).getByTestId('doc-comment-send'));
    expect(within(dialog).getByTestId('error-message').textContent).toContain('Le commentaire est vide.');
    await fireEvent.input(within(dialog).getByTestId('doc-comment-text'), { target: { value: 'Relire la voirie' } });
    await fireEvent.click(within(dialog).getByTestId('doc-comment-send'));
    await within(dialog).findByTestId('doc-comment');
    await fireEvent.click(within(dialog).getByTestId('doc-comment-reply'));
    await fireEvent.input(within(dialog).getByTestId('doc-comment-reply-text'), { target: { value: 'Fait.' } });
    await fireEvent.click(within(dialog).getByTestId('doc-comment-reply-send'));
    await waitFor(() => expect(within(dialog).getAllByTestId('doc-comment')).toHaveLength(2));
    const [first, reply] = within(dialog).getAllByTestId('doc-comment');
    expect(first.textContent).toContain('Relire la voirie');
    expect(reply.style.marginLeft).toBe('1.25rem');
    expect(backend.comments[1].parent).toBe(backend.comments[0].id);
  });

  it('makes a new document from a template, and trashes, restores and purges', async () => {
    const model = backend.addDocumentTo(space.id, 'Modèle arrêté.odt', { folder: 'Modèles' });
    render(DocumentsPanel, { space });
    const dialog = await openDoc(model.id);
    await fireEvent.click(within(dialog).getByTestId('doc-template-open'));
    await fireEvent.input(within(dialog).getByTestId('doc-template-title'), { target: { value: 'Arrêté fête votive' } });
    await fireEvent.input(within(dialog).getByTestId('doc-template-folder'), { target: { value: 'Arrêtés' } });
    await fireEvent.click(within(dialog).getByTestId('doc-template-create'));
    await waitFor(() => expect(screen.getByTestId('doc-dialog').textContent).toContain('Arrêté fête votive'));
    const made = backend.documents.find((d) => d.title === 'Arrêté fête votive')!;
    expect(made.folder).toBe('Arrêtés');
    await fireEvent.click(within(screen.getByTestId('doc-dialog')).getByTestId('doc-trash'));
    await waitFor(() => expect(screen.queryByTestId('doc-dialog')).toBeNull());
    await fireEvent.click(screen.getByTestId('doc-trash-open'));
    const trashed = await screen.findByTestId('doc-trashed');
    expect(trashed.textContent).toContain('Arrêté fête votive');
    await fireEvent.click(within(trashed).getByTestId('doc-restore'));
    await waitFor(() => expect(screen.queryByTestId('doc-trashed')).toBeNull());
    expect(made.deleted).toBe(false);
    made.deleted = true;
    await fireEvent.click(screen.getByTestId('doc-trash-open'));
    await fireEvent.click(screen.getByTestId('doc-trash-open'));
    await fireEvent.click(within(await screen.findByTestId('doc-trashed')).getByTestId('doc-purge'));
    await waitFor(() => expect(backend.documents.includes(made)).toBe(false));
  });
});

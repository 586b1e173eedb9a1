import { describe, expect, it } from 'vitest';
import type { DocDecision, Document, Member } from '../types';
import { approvals, baseName, byFolder, folderChoices, sizeLabel, statusLabel } from './docs';

const doc = (over: Partial<Document>): Document => ({
  id: 'd',
  space: 's',
  title: 'T',
  folder: '',
  tags: [],
  description: '',
  versions: [],
  status: 'draft',
  validators: [],
  validatorNames: [],
  decisions: [],
  deleted: false,
  updatedAt: '',
  ...over,
});

const decision = (device: string, approved: boolean, valid = true): DocDecision => ({
  device,
  author: '',
  approved,
  comment: '',
  at: '',
  valid,
});

const member = (id: string, device: string): Member => ({
  id,
  name: id,
  organisation: '',
  function: '',
  role: 'validator',
  devices: [device],
  removed: false,
  isMe: false,
});

describe('documents', () => {
  it('names every status in French', () => {
    expect(statusLabel(doc({ status: 'draft' }))).toBe('Brouillon');
    expect(statusLabel(doc({ status: 'approved' }))).toBe('Approuvé');
    expect(statusLabel(doc({ status: 'refused' }))).toBe('Refusé');
    expect(statusLabel(doc({ status: 'changed_since_approval' }))).toBe('Modifié depuis l’approbation');
    expect(statusLabel(doc({ status: 'awaiting', validators: ['a', 'b'] }))).toBe('En attente (0/2)');
  });

  it('counts the approvals of the validators needed only', () => {
    const members = [member('a', 'da'), member('b', 'db'), member('c', 'dc')];
    const d = doc({
      status: 'awaiting',
      validators: ['a', 'b'],
      decisions: [decision('da', true), decision('dc', true), decision('db', true, false)],
    });
    expect(approvals(d, members)).toBe(1);
    expect(statusLabel(d, members)).toBe('En attente (1/2)');
    // Without the members, valid approvals, at most as many as needed.
    expect(approvals(d)).toBe(2);
  });

  it('writes sizes in o, Ko and Mo with a decimal comma', () => {
    expect(sizeLabel(0)).toBe('0 o');
    expect(sizeLabel(1023)).toBe('1023 o');
    expect(sizeLabel(1536)).toBe('1,5 Ko');
    expect(sizeLabel(200 * 1024)).toBe('200 Ko');
    expect(sizeLabel(5 * 1024 * 1024)).toBe('5,0 Mo');
    expect(sizeLabel(42 * 1024 * 1024)).toBe('42 Mo');
  });

  it('groups by folder in French order, unfiled last, and suggests the usual folders', () => {
    const docs = [
      doc({ id: '1', title: 'b', folder: 'Tourisme' }),
      doc({ id: '2', title: 'a', folder: '' }),
      doc({ id: '3', title: 'c', folder: 'Élections' }),
      doc({ id: '4', title: 'a', folder: 'Tourisme' }),
    ];
    expect(byFolder(docs).map((g) => [g.folder, g.docs.map((d) => d.id)])).toEqual([
      ['Élections', ['3']],
      ['Tourisme', ['4', '1']],
      ['', ['2']],
    ]);
    expect(folderChoices(docs)).toEqual(['Comptes rendus', 'Délibérations', 'Élections', 'Modèles', 'Tourisme']);
  });

  it('takes the file name of a path', () => {
    expect(baseName('/home/a/b.pdf')).toBe('b.pdf');
    expect(baseName('C:\\Users\\a\\b.pdf')).toBe('b.pdf');
  });
});

// Documents as the "Documents" view shows them: French status badges, sizes, folders,
// and who added a version.

import { formatDateTime } from '../agenda/dates';
import type { Document, DocStatus, Member } from '../types';

/** Folders offered when adding a document, besides those already used. */
export const SUGGESTED_FOLDERS = ['Comptes rendus', 'Délibérations', 'Modèles', 'Tourisme'] as const;

/** The folder heading of documents filed nowhere. */
export const NO_FOLDER = 'Sans dossier';

/**
 * How many of the validators needed have validly approved the latest version. Decisions
 * name devices: the members list tells whose they are; without it, valid approvals are
 * counted, at most as many as needed.
 */
export function approvals(doc: Pick<Document, 'decisions' | 'validators'>, members: readonly Member[] = []): number {
  const devices = doc.decisions.filter((d) => d.valid && d.approved).map((d) => d.device);
  if (members.length === 0) return Math.min(devices.length, doc.validators.length);
  return doc.validators.filter((id) => {
    const member = members.find((m) => m.id === id);
    return !!member && member.devices.some((device) => devices.includes(device));
  }).length;
}

/** The badge: « Brouillon », « En attente (1/2) », « Approuvé »… */
export function statusLabel(
  doc: Pick<Document, 'status' | 'decisions' | 'validators'>,
  members: readonly Member[] = [],
): string {
  switch (doc.status) {
    case 'draft':
      return 'Brouillon';
    case 'awaiting':
      return `En attente (${approvals(doc, members)}/${doc.validators.length})`;
    case 'approved':
      return 'Approuvé';
    case 'refused':
      return 'Refusé';
    case 'changed_since_approval':
      return 'Modifié depuis l’approbation';
    default:
      return String(doc.status satisfies never);
  }
}

export const STATUS_CLASSES: Record<DocStatus, string> = {
  draft: 'draft',
  awaiting: 'awaiting',
  approved: 'approved',
  refused: 'refused',
  changed_since_approval: 'changed',
};

/** « 850 o », « 24 Ko », « 3,2 Mo » (French decimal comma). */
export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb < 10 ? kb.toFixed(1).replace('.', ',') : Math.round(kb)} Ko`;
  const mb = kb / 1024;
  if (mb < 1024) return `${mb < 10 ? mb.toFixed(1).replace('.', ',') : Math.round(mb)} Mo`;
  return `${(mb / 1024).toFixed(1).replace('.', ',')} Go`;
}

/** A date as the lists show it; a time that does not parse is shown as given. */
export function whenLabel(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatDateTime(date);
}

/** Who a device belongs to in the space: the member's name, « vous », or its short id. */
export function deviceOwner(device: string, members: readonly Member[]): string {
  const member = members.find((m) => m.devices.includes(device));
  if (member) return member.isMe ? `${member.name.trim() || 'vous'} (vous)` : member.name.trim() || 'Membre sans nom';
  return `Appareil inconnu (${device.slice(0, 8)})`;
}

/** Documents grouped by folder, folders and titles in French order, unfiled ones last. */
export function byFolder(docs: readonly Document[]): { folder: string; docs: Document[] }[] {
  const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });
  const groups = new Map<string, Document[]>();
  for (const doc of docs) {
    const list = groups.get(doc.folder) ?? [];
    list.push(doc);
    groups.set(doc.folder, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : collator.compare(a, b)))
    .map(([folder, list]) => ({ folder, docs: list.sort((x, y) => collator.compare(x.title, y.title)) }));
}

/** The folders to offer: those in use and the usual ones, in French order. */
export function folderChoices(docs: readonly Document[]): string[] {
  const collator = new Intl.Collator('fr', { sensitivity: 'base' });
  return [...new Set([...SUGGESTED_FOLDERS, ...docs.map((d) => d.folder).filter((f) => f !== '')])].sort(
    collator.compare,
  );
}

/** The file name a path ends with (either separator). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

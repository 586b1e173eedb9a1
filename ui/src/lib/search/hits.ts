// Search results as the search box shows them.

import type { Hit, HitKind } from '../types';

export const KIND_LABELS: Record<HitKind, string> = {
  'agenda.event': 'Événement',
  'directory.card': 'Fiche',
  'doc.document': 'Document',
  'forum.post': 'Message',
  'forum.topic': 'Sujet',
  'doc.comment': 'Commentaire',
  'bookings.resource': 'Ressource',
  'cantine.site': 'Cantine',
  'polls.poll': 'Sondage',
  'board.ad': 'Annonce',
};

/** The view of a space where a result is. */
export type HitView = 'agenda' | 'directory' | 'documents' | 'forum' | 'bookings' | 'cantine' | 'polls' | 'board';

export const KIND_VIEWS: Record<HitKind, HitView> = {
  'agenda.event': 'agenda',
  'directory.card': 'directory',
  'doc.document': 'documents',
  'forum.post': 'forum',
  'forum.topic': 'forum',
  'doc.comment': 'documents',
  'bookings.resource': 'bookings',
  'cantine.site': 'cantine',
  'polls.poll': 'polls',
  'board.ad': 'board',
};

export function kindLabel(kind: HitKind | string): string {
  return KIND_LABELS[kind as HitKind] ?? kind;
}

/** Where a result leads, and the item to open there (a message opens its view only). */
export function destination(hit: Hit): { view: HitView; item: string | null } {
  const view = KIND_VIEWS[hit.kind] ?? 'agenda';
  const opens = hit.kind === 'agenda.event' || hit.kind === 'directory.card' || hit.kind === 'doc.document' || hit.kind === 'forum.topic';
  return { view, item: opens ? hit.item : null };
}

export interface SnippetPiece {
  text: string;
  match: boolean;
}

/** A snippet cut into plain text and the matches the backend put between « and ». */
export function snippetPieces(snippet: string): SnippetPiece[] {
  const out: SnippetPiece[] = [];
  const pattern = /«([^«»]*)»/g;
  let last = 0;
  for (const m of snippet.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ text: snippet.slice(last, at), match: false });
    if (m[1] !== '') out.push({ text: m[1], match: true });
    last = at + m[0].length;
  }
  if (last < snippet.length) out.push({ text: snippet.slice(last), match: false });
  return out;
}

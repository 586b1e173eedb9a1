// Comments, templates and the trash of the document base: the backend's commands.

import { call } from '../ipc';
import type { Document } from '../types';

export interface Comment {
  id: string;
  document: string;
  /** The comment answered, or '' for one on the document. */
  parent: string;
  body: string;
  createdAt: string;
  author: string;
  authorDevice: string;
  mine: boolean;
  deleted: boolean;
}

export const documentComments = (space: string, document: string): Promise<Comment[]> =>
  call('document_comments', { space, document });
export const commentDocument = (space: string, document: string, parent: string | null, body: string): Promise<Comment> =>
  call('comment_document', { space, document, parent, body });
export const deleteComment = async (space: string, id: string): Promise<void> => {
  await call<null>('delete_comment', { space, id });
};
export const documentTrash = (space: string): Promise<Document[]> => call('document_trash', { space });
export const setDocumentDeleted = (space: string, id: string, deleted: boolean): Promise<Document> =>
  call('set_document_deleted', { space, id, deleted });
export const purgeDocument = async (space: string, id: string): Promise<void> => {
  await call<null>('purge_document', { space, id });
};
export const documentFromTemplate = (space: string, template: string, title: string, folder: string): Promise<Document> =>
  call('document_from_template', { space, template, title, folder });

/** The longest comment the backend takes. */
export const MAX_COMMENT = 20_000;

/** Comments as a thread: each with its depth, replies under what they answer, in order. */
export function thread(comments: Comment[]): { comment: Comment; depth: number }[] {
  const children = new Map<string, Comment[]>();
  const ids = new Set(comments.map((c) => c.id));
  for (const c of comments) {
    const parent = c.parent && ids.has(c.parent) ? c.parent : '';
    children.set(parent, [...(children.get(parent) ?? []), c]);
  }
  const out: { comment: Comment; depth: number }[] = [];
  const walk = (parent: string, depth: number) => {
    for (const c of children.get(parent) ?? []) {
      out.push({ comment: c, depth });
      walk(c.id, Math.min(depth + 1, 6));
    }
  };
  walk('', 0);
  return out;
}

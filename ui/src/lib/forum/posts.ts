// Forum messages as the topic view shows them: indentation of replies, @mentions,
// the excerpt a quote takes.

import type { Post } from '../types';

/** Deepest indentation shown: replies further down stay at this level. */
export const MAX_DEPTH = 4;

/** How deep each message is in its thread (0 for a message at the top level), by id. */
export function depths(posts: readonly Post[]): Map<string, number> {
  const byId = new Map(posts.map((p) => [p.id, p]));
  const out = new Map<string, number>();
  const depth = (post: Post, seen: Set<string>): number => {
    const known = out.get(post.id);
    if (known !== undefined) return known;
    const parent = post.parent ? byId.get(post.parent) : undefined;
    const value = parent && !seen.has(parent.id) ? depth(parent, seen.add(post.id)) + 1 : post.parent ? 1 : 0;
    out.set(post.id, value);
    return value;
  };
  for (const post of posts) depth(post, new Set());
  return out;
}

/** Longest excerpt « Citer » takes when nothing is selected. */
export const QUOTE_LENGTH = 200;

/** The quoted text: what is selected in the message, else its beginning. */
export function excerpt(body: string, selected = ''): string {
  const chosen = selected.trim();
  if (chosen !== '') return chosen;
  const chars = [...body.trim()];
  return chars.length <= QUOTE_LENGTH ? chars.join('') : chars.slice(0, QUOTE_LENGTH).join('').trimEnd() + '…';
}

export interface Piece {
  text: string;
  mention: boolean;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A message's text cut into plain pieces and @mentions: `names` are the names of the
 * members the backend found mentioned (any case, the longest first); without them,
 * any @word.
 */
export function pieces(body: string, names: readonly string[] = []): Piece[] {
  const known = [...names].filter((m) => m.trim() !== '').sort((a, b) => b.length - a.length);
  const pattern =
    known.length > 0
      ? new RegExp(`@(?:${known.map((m) => escape(m.replace(/^@/, ''))).join('|')})`, 'giu')
      : /@[\p{L}\p{N}_-]+/gu;
  const out: Piece[] = [];
  let last = 0;
  for (const match of body.matchAll(pattern)) {
    const at = match.index ?? 0;
    if (at > last) out.push({ text: body.slice(last, at), mention: false });
    out.push({ text: match[0], mention: true });
    last = at + match[0].length;
  }
  if (last < body.length) out.push({ text: body.slice(last), mention: false });
  return out;
}

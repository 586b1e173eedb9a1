// The one place that talks to the Tauri backend. Every command has a typed wrapper;
// a rejected command becomes a BastideError. Argument keys are camelCase: Tauri maps
// them to the snake_case parameters of the Rust commands.

import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { BastideError } from './errors';
import type {
  AgendaEvent,
  AppInfo,
  BackendEvent,
  Card,
  CardField,
  CardFilter,
  CardImport,
  CardImportPreview,
  CardInput,
  Document,
  EventInput,
  Hit,
  HistoryEntry,
  Identity,
  Invitation,
  Member,
  Post,
  Quote,
  Role,
  Space,
  SyncStatus,
  Topic,
} from './types';

/** Name of the single backend-to-UI event; its payload is a `BackendEvent`. */
export const BACKEND_EVENT = 'bastide://event';

/** Invokes a backend command; a rejection becomes a `BastideError`. */
export async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw BastideError.from(raw);
  }
}

export function appInfo(): Promise<AppInfo> {
  return call('app_info');
}

export function listSpaces(): Promise<Space[]> {
  return call('list_spaces');
}

/**
 * Creates a space on a relay; `me` is who the creator, its first administrator, is.
 * `token` is the relay operator's admission token, for a relay that asks for one.
 */
export function createSpace(name: string, relay: string, me: Identity, token = ''): Promise<Space> {
  return call('create_space', {
    name,
    relay,
    me: { name: me.name, organisation: me.organisation, function: me.function },
    token: token.trim() === '' ? null : token.trim(),
  });
}

/** How long an invitation stays valid unless said otherwise, and the longest allowed. */
export const INVITE_DEFAULT_DAYS = 7;
export const INVITE_MAX_DAYS = 90;

/**
 * A one-time invitation code (`BSTD1-…`) to a space, for a newcomer with `role`,
 * valid `expiresDays` days (1 to 90). Administrators only.
 */
export function inviteCode(space: string, role: Role, expiresDays: number = INVITE_DEFAULT_DAYS): Promise<string> {
  return call('invite_code', { space, role, expiresDays });
}

/** Joins a space with an invitation code; the newcomer says who they are. */
export function joinSpace(code: string, who: Identity): Promise<Space> {
  return call('join_space', { code, name: who.name, organisation: who.organisation, function: who.function });
}

/** Everyone who is or was a member of the space, removed members included. */
export function spaceMembers(space: string): Promise<Member[]> {
  return call('space_members', { space });
}

export async function setRole(space: string, member: string, role: Role): Promise<void> {
  await call<null>('set_role', { space, member, role });
}

/** Removes a member: their devices receive nothing more; what they wrote stays. */
export async function removeMember(space: string, member: string): Promise<void> {
  await call<null>('remove_member', { space, member });
}

/** The space's invitations, newest expiry first: open, used, withdrawn or expired. */
export function listInvitations(space: string): Promise<Invitation[]> {
  return call('list_invitations', { space });
}

/**
 * Withdraws an unused invitation: its code is refused from then on. Administrators,
 * or the member a device invitation is for.
 */
export async function revokeInvitation(space: string, invitation: string): Promise<void> {
  await call<null>('revoke_invitation', { space, invitation });
}

/**
 * Removes one device of a member (a lost laptop): it receives nothing new, and a new
 * key is made. Administrators any device; a member their own.
 */
export async function removeDevice(space: string, device: string): Promise<void> {
  await call<null>('remove_device', { space, device });
}

/** A one-time code that makes another computer of the same person a device of all their spaces. */
export function deviceAdd(): Promise<string> {
  return call('device_add');
}

/** On a fresh installation: becomes another device of the person who made the code. */
export function deviceJoin(code: string): Promise<Space[]> {
  return call('device_join', { code });
}

/** Events not in the trash, sorted by start. */
export function listEvents(space: string): Promise<AgendaEvent[]> {
  return call('list_events', { space });
}

export function listTrash(space: string): Promise<AgendaEvent[]> {
  return call('list_trash', { space });
}

export function addEvent(space: string, event: EventInput): Promise<AgendaEvent> {
  return call('add_event', { space, event });
}

export function updateEvent(space: string, id: string, event: EventInput): Promise<AgendaEvent> {
  return call('update_event', { space, id, event });
}

/** Moves an event to the trash. */
export async function deleteEvent(space: string, id: string): Promise<void> {
  await call<null>('delete_event', { space, id });
}

export async function restoreEvent(space: string, id: string): Promise<void> {
  await call<null>('restore_event', { space, id });
}

/**
 * The directory cards of a space, sorted by name: those in the trash when
 * `filter.deleted`, else the others; each filter that is set keeps only that exact value.
 */
export function listCards(space: string, filter: CardFilter = { deleted: false }): Promise<Card[]> {
  return call('list_cards', {
    space,
    filter: {
      organisation: filter.organisation ?? null,
      commune: filter.commune ?? null,
      discipline: filter.discipline ?? null,
      deleted: filter.deleted,
    },
  });
}

export function addCard(space: string, card: CardInput): Promise<Card> {
  return call('add_card', { space, card });
}

/** Writes the fields that differ from what the card shows, and any field in conflict. */
/** What importing the CSV or vCard file at `path` would add, and what is wrong in it. Stores nothing. */
export function previewCardImport(space: string, path: string): Promise<CardImportPreview> {
  return call('preview_card_import', { space, path });
}

/** Imports every card of the file at `path`, or none when a line is wrong (`malformed_import`). */
export function importCards(space: string, path: string): Promise<CardImport> {
  return call('import_cards', { space, path });
}

export function updateCard(space: string, id: string, card: CardInput): Promise<Card> {
  return call('update_card', { space, id, card });
}

/** Settles a field two members changed at once: `value` replaces every value it had. */
export function pickCardValue(space: string, id: string, field: CardField, value: string): Promise<Card> {
  return call('pick_card_value', { space, id, field, value });
}

/** Moves a card to the trash (`deleted`), or back. */
export function setCardDeleted(space: string, id: string, deleted: boolean): Promise<Card> {
  return call('set_card_deleted', { space, id, deleted });
}

/** Who changed an item and when, as its signed entries say; newest first. */
export function itemHistory(space: string, id: string): Promise<HistoryEntry[]> {
  return call('item_history', { space, id });
}

/** The documents of a space. */
export function listDocuments(space: string): Promise<Document[]> {
  return call('list_documents', { space });
}

export function getDocument(space: string, id: string): Promise<Document> {
  return call('get_document', { space, id });
}

/** Adds the file at `path` (on this computer) as a new document; its title is the file name. */
export function addDocument(space: string, path: string, folder: string): Promise<Document> {
  return call('add_document', { space, path, folder });
}

export function addDocumentVersion(space: string, id: string, path: string): Promise<Document> {
  return call('add_document_version', { space, id, path });
}

export function describeDocument(
  space: string,
  id: string,
  fields: { title: string; folder: string; tags: string[]; description: string },
): Promise<Document> {
  return call('describe_document', { space, id, ...fields });
}

/** Asks for approval; `validators` are member ids, [] for every validator of the space. */
export function submitDocument(space: string, id: string, validators: string[]): Promise<Document> {
  return call('submit_document', { space, id, validators });
}

/** A validator's decision; a refusal needs a comment. */
export function decideDocument(space: string, id: string, approved: boolean, comment: string): Promise<Document> {
  return call('decide_document', { space, id, approved, comment });
}

/** Writes a version (index from 0; null for the latest) to `out`. */
export async function saveDocument(space: string, id: string, version: number | null, out: string): Promise<void> {
  await call<null>('save_document', { space, id, version, out });
}

/** Opens a version with the system's application. */
export async function openDocument(space: string, id: string, version: number | null): Promise<void> {
  await call<null>('open_document', { space, id, version });
}

/** The topics of a space's forum, latest activity first. */
export function listTopics(space: string): Promise<Topic[]> {
  return call('list_topics', { space });
}

export function createTopic(space: string, title: string, body: string): Promise<Topic> {
  return call('create_topic', { space, title, body });
}

/** The messages of a topic, in display order. */
export function topicPosts(space: string, topic: string): Promise<Post[]> {
  return call('topic_posts', { space, topic });
}

export function postMessage(
  space: string,
  topic: string,
  body: string,
  parent: string | null,
  quote: Quote | null,
): Promise<Post> {
  return call('post_message', { space, topic, body, parent, quote });
}

export async function followTopic(space: string, topic: string, follow: boolean): Promise<void> {
  await call<null>('follow_topic', { space, topic, follow });
}

export async function markTopicRead(space: string, topic: string): Promise<void> {
  await call<null>('mark_topic_read', { space, topic });
}

/** Searches one space, or every space when `space` is null; accents do not matter. */
export function search(space: string | null, text: string): Promise<Hit[]> {
  return call('search', { space, text });
}

export function syncStatus(): Promise<SyncStatus> {
  return call('sync_status');
}

/** Calls `handler` for every backend event until the returned function is called. */
export function onBackendEvent(handler: (event: BackendEvent) => void): Promise<UnlistenFn> {
  return listen<BackendEvent>(BACKEND_EVENT, (e) => handler(e.payload));
}

/** The first view the app showed: a space's agenda, or the welcome screen (no space). */
export type FirstView = 'agenda' | 'welcome';

/**
 * Tells the backend the first view is painted with its data, and how many events of
 * the shown month it holds: the backend logs the startup time (once per run).
 */
export async function firstPaint(view: FirstView, events: number): Promise<void> {
  await call<null>('first_paint', { view, events });
}

// The shapes that cross the IPC boundary, as the Tauri commands serialise them
// (serde `rename_all = "camelCase"`). Keep in step with src-tauri; see ipc.ts for
// which command returns what.

/** What `app_info` tells about this installation. */
export interface AppInfo {
  profileDir: string;
  /** Relay address to prefill when creating a space (env BASTIDE_RELAY or settings). */
  defaultRelay: string | null;
  deviceId: string;
  /** Where the device keys live: the OS keyring or an encrypted file in the profile. */
  keyStore: 'keyring' | 'file';
}

/** A space (one extranet) this device is a member of. */
export interface Space {
  id: string;
  name: string;
  /** Relay address, e.g. `relais.pays-exemple.fr:4433`. */
  relay: string;
}

/**
 * An agenda event as the projection stores it. `start` and `end` are RFC 3339 with
 * an offset; for an all-day event they are local midnights and `end` is exclusive
 * (midnight of the day after the last day).
 */
export interface AgendaEvent {
  id: string;
  space: string;
  title: string;
  start: string;
  end: string;
  allDay: boolean;
  place: string;
  theme: string;
  description: string;
  deleted: boolean;
  updatedAt: string;
  /** Device or member id of the last author. */
  updatedBy: string;
}

/** What the UI sends to create or replace an event. */
export interface EventInput {
  title: string;
  start: string;
  end: string;
  allDay: boolean;
  place: string;
  theme: string;
  description: string;
}

export interface SyncStatus {
  online: boolean;
  /** Local changes not yet acknowledged by the relay. */
  pending: number;
  /** The last sync failure: an error code (see errors.ts) or a technical sentence. */
  lastError: string | null;
  /** The technical detail of that failure, in English. */
  lastErrorDetail?: string | null;
  /** RFC 3339 time of the last successful exchange with the relay. */
  lastSync: string | null;
}

/** What a member may do in a space; see members/roles.ts for the French names. */
export const ROLE_IDS = ['admin', 'validator', 'editor', 'reader'] as const;

export type Role = (typeof ROLE_IDS)[number];

/**
 * A member of a space as `space_members` lists it. Removed members stay listed
 * (`removed: true`) so that what they wrote keeps a name.
 */
export interface Member {
  id: string;
  name: string;
  organisation: string;
  function: string;
  role: Role;
  /** Ids of the member's devices (computers) in this space. */
  devices: string[];
  removed: boolean;
  /** This is the member using this device. */
  isMe: boolean;
}

/**
 * An invitation of a space as `list_invitations` gives it to administrators, newest
 * expiry first. Whether it has expired is for the UI to tell from `expires`.
 */
export interface Invitation {
  /** The invitation key (hex): what `revoke_invitation` takes. */
  id: string;
  /** The role a newcomer gets; irrelevant for a device invitation. */
  role: Role;
  /** A "second device" code a member made for themself, not a newcomer's. */
  forDevice: boolean;
  /** When the relay stops accepting the code: RFC 3339, UTC. */
  expires: string;
  /** Redeemed: someone joined with it. */
  used: boolean;
  /** Withdrawn: the code is refused from then on (`invite_revoked`). */
  revoked: boolean;
  /** Dead with the removal of the device or member who made it (`invite_dead`). */
  dead: boolean;
}

/**
 * Who a person says they are when creating a space (`create_space`, its `me`) or
 * joining one (`join_space`).
 */
export interface Identity {
  /** Required. */
  name: string;
  organisation: string;
  function: string;
}

/**
 * One change to an item (created, modified, put in or taken out of the trash), as
 * its signed entry says. `item_history` lists them newest first.
 */
export interface HistoryEntry {
  /** The author's name in the space, from the membership log; '' when the device is unknown here. */
  author: string;
  /** The device that signed the change (hex). */
  device: string;
  /** When, as the author's change records it: RFC 3339, UTC. */
  at: string;
  /** A change signed by this device. */
  mine: boolean;
  /** Set when every computer refused this change: it broke the item's rule (why, in English). */
  refused: string | null;
}

/** Whom a directory card is about. */
export type CardKind = 'person' | 'organisation';

/** A health professional's status; '' when not said. */
export type CardStatus = '' | 'titulaire' | 'remplaçant';

/**
 * The register fields of a card as the backend names them (snake_case): what a
 * conflict's `field` and `pick_card_value`'s `field` are. Notes are merged text and
 * never conflict.
 */
export const CARD_FIELDS = [
  'name',
  'kind',
  'organisation',
  'function',
  'commune',
  'discipline',
  'specialties',
  'status',
  'status_from',
  'status_until',
  'phone',
  'email',
  'address',
] as const;

export type CardField = (typeof CARD_FIELDS)[number];

/** The fields that may appear in the future public directory (`CardInput.public`). */
export type PublicField = Exclude<CardField, 'kind'>;

/** What the UI sends to create or change a directory card (`add_card`, `update_card`). */
export interface CardInput {
  /** Required: the person's full name, or the organisation's. */
  name: string;
  /** `person` when left empty. */
  kind: CardKind;
  /** Commune, EPCI, tourism office, medical practice… */
  organisation: string;
  function: string;
  commune: string;
  /** Health: médecine générale, kinésithérapie… */
  discipline: string;
  specialties: string;
  status: CardStatus;
  /** Start and end of a replacement: `YYYY-MM-DD`, or ''. */
  statusFrom: string;
  statusUntil: string;
  /** Phone numbers, one per line. */
  phone: string;
  /** Email addresses, one per line. */
  email: string;
  address: string;
  /** Stays inside the space. */
  notes: string;
  /** The fields that may appear in a future public directory. */
  public: string[];
}

/** One of the values a field was given concurrently, and who gave it. */
export interface CardAlternative {
  value: string;
  /** The device that wrote it (hex). */
  device: string;
  /** Its member's name in the space; '' when the device is unknown here. */
  author: string;
}

/**
 * A field two members changed offline at the same time: every value, the one the
 * card shows first. Lasts until someone picks one (`pick_card_value`).
 */
export interface CardConflict {
  field: CardField;
  values: CardAlternative[];
}

/** A directory card as `list_cards` gives it. */
export interface Card extends CardInput {
  id: string;
  space: string;
  conflicts: CardConflict[];
  deleted: boolean;
  /** RFC 3339, UTC. */
  updatedAt: string;
  /** Who last changed it, as written in the card. */
  updatedBy: string;
}

/** Which cards `list_cards` lists: exact values, null for any; `deleted` for the trash. */
export interface CardFilter {
  organisation?: string | null;
  commune?: string | null;
  discipline?: string | null;
  deleted: boolean;
}

/** Payload of the `bastide://event` backend event: one tagged enum. */
export type BackendEvent =
  | ({ type: 'syncStatus' } & SyncStatus)
  | { type: 'itemsChanged'; space: string; ids: string[] }
  | { type: 'membersChanged'; space: string }
  | { type: 'notificationsChanged'; unread: number };

/** Error codes the backend may reject a command with. */
export const ERROR_CODES = [
  'empty_title',
  'end_before_start',
  'invalid_date',
  'invalid_invitation',
  'expired_invitation',
  'already_member',
  'invite_used',
  'invite_revoked',
  'invite_dead',
  'invite_unknown',
  'not_allowed',
  'not_member',
  'last_admin',
  'file_unreadable',
  'file_unwritable',
  'cannot_open',
  'disk_full',
  'malformed_import',
  'booking_conflict',
  'booking_too_long',
  'invalid_count',
  'poll_no_option',
  'poll_closed',
  'relay_unreachable',
  'certificate_mismatch',
  'relay_refused',
  'relay_busy',
  'relay_full',
  'token_required',
  'token_refused',
  'not_found',
  'invalid_input',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where a document stands in its approval. */
export type DocStatus = 'draft' | 'awaiting' | 'approved' | 'refused' | 'changed_since_approval';

/** The stored content of one version: encrypted chunks on the relay. */
export interface DocFile {
  /** Bytes. */
  size: number;
  hash: string;
  key: string;
  chunks: string[];
}

/** One version of a document, oldest first in `Document.versions`. */
export interface DocVersion {
  /** The file name as added. */
  name: string;
  file: DocFile;
  /** RFC 3339, UTC. */
  addedAt: string;
  /** The device that added it (hex). */
  addedBy: string;
  /** Whether the app opens it with the system's application (a document, text or image type); otherwise it can only be saved. */
  openable: boolean;
}

/** A validator's approval or refusal; `valid` is false when it no longer counts. */
export interface DocDecision {
  device: string;
  author: string;
  approved: boolean;
  comment: string;
  at: string;
  valid: boolean;
}

/** A document of the "Documents" view. */
export interface Document {
  id: string;
  space: string;
  title: string;
  folder: string;
  tags: string[];
  description: string;
  versions: DocVersion[];
  status: DocStatus;
  /** Member ids whose approval is needed. */
  validators: string[];
  validatorNames: string[];
  decisions: DocDecision[];
  deleted: boolean;
  updatedAt: string;
}

/** A forum topic as `list_topics` gives it, latest activity first. */
export interface Topic {
  id: string;
  title: string;
  createdAt: string;
  author: string;
  posts: number;
  unread: number;
  followed: boolean;
  lastActivity: string;
}

/** What a message quotes of another. */
export interface Quote {
  post: string;
  excerpt: string;
}

/** A message of a topic, as `topic_posts` gives them, in display order. */
export interface Post {
  id: string;
  topic: string;
  /** '' for a message at the top level, else the message it answers. */
  parent: string;
  body: string;
  quote: Quote | null;
  mentions: string[];
  createdAt: string;
  author: string;
  authorDevice: string;
  mine: boolean;
  unread: boolean;
  mentionsMe: boolean;
  deleted: boolean;
}

/** What a search result is. */
export type HitKind =
  | 'agenda.event'
  | 'directory.card'
  | 'doc.document'
  | 'doc.comment'
  | 'forum.post'
  | 'forum.topic'
  | 'bookings.resource'
  | 'cantine.site'
  | 'polls.poll'
  | 'board.ad';

/** One search result; `snippet` marks the matches between « and ». */
export interface Hit {
  space: string;
  item: string;
  kind: HitKind;
  title: string;
  snippet: string;
}

/** Why a file to import, or one of its lines, cannot be imported (`line` 0: the whole file). */
export type ImportProblem = { line: number } & (
  | { kind: 'empty' | 'unknown_format' | 'no_name_column' | 'unclosed_quote' | 'missing_name' }
  | { kind: 'unterminated_card' | 'outside_card' | 'malformed_line' }
  | { kind: 'too_large'; maxBytes: number }
  | { kind: 'too_many_cells'; expected: number; found: number }
  | { kind: 'invalid_date'; field: string; value: string }
  | { kind: 'invalid_status' | 'invalid_kind'; value: string }
  | { kind: 'too_long'; field: string; max: number }
  | { kind: 'invalid'; detail: string }
);

/** What importing a CSV table or vCard address book would add, and what stops it. */
export interface CardImportPreview {
  format: 'csv' | 'vcard' | null;
  /** Cards that would be added. */
  cards: number;
  /** Cards left out: the directory (or the file, further up) has the same name and organisation. */
  duplicates: number;
  /** The first cards that would be added. */
  sample: CardInput[];
  /** Columns or vCard properties with no field in a card. */
  ignored: string[];
  /** At most 100; `problemCount` says how many in all. */
  problems: ImportProblem[];
  problemCount: number;
}

/** What an import did. */
export interface CardImport {
  added: number;
  duplicates: number;
  ids: string[];
}

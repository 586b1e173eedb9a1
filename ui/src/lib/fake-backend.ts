// An in-memory stand-in for the Tauri backend, for component tests: it answers the
// same commands with the same shapes (see ipc.ts) and rejects with `{code, message}`
// like the Rust side. Not imported by the app itself.

import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { BACKEND_EVENT } from './ipc';
import {
  CARD_FIELDS,
  ROLE_IDS,
  type AgendaEvent,
  type AppInfo,
  type BackendEvent,
  type Card,
  type CardField,
  type CardInput,
  type DocDecision,
  type Document,
  type ErrorCode,
  type EventInput,
  type Hit,
  type HistoryEntry,
  type Identity,
  type Invitation,
  type Member,
  type Post,
  type Quote,
  type Role,
  type Space,
  type SyncStatus,
  type Topic,
} from './types';

export type Args = Record<string, unknown>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a card holds when nothing is said: `add_card`'s serde defaults. */
export const EMPTY_CARD: CardInput = {
  name: '',
  kind: 'person',
  organisation: '',
  function: '',
  commune: '',
  discipline: '',
  specialties: '',
  status: '',
  statusFrom: '',
  statusUntil: '',
  phone: '',
  email: '',
  address: '',
  notes: '',
  public: [],
};

/** The CardInput key of a register field (`status_from` is `statusFrom`). */
function cardKey(field: CardField): Exclude<keyof CardInput, 'notes' | 'public'> {
  return field.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) as Exclude<keyof CardInput, 'notes' | 'public'>;
}

/** A name as SQLite's NOCASE collation compares it: ASCII case folded, accents not. */
function nocase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** A real `YYYY-MM-DD` day (not 2026-02-30). */
function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

/** Longest value of a card's register field, and of its notes. */
const MAX_CARD_FIELD = 500;
const MAX_CARD_NOTES = 20_000;

/** A one-time code as the relay knows it: an invitation to a space, or a device code. */
export interface FakeCode {
  /** The invitation key (64 hex): what `list_invitations` shows and `revoke_invitation` takes. */
  id: string;
  kind: 'invite' | 'device';
  /** For an invitation: the space it opens and the role it gives. */
  space?: Space;
  role?: Role;
  /** For a device code: the spaces the new device joins. */
  spaces?: Space[];
  expiresAt: number;
  used: boolean;
  revoked: boolean;
}

/** One recorded change to an item: the device that signed it, and when. */
export interface FakeChange {
  device: string;
  /** RFC 3339, UTC. */
  at: string;
}

/**
 * A document as the fake keeps it, like the real one: submissions and decisions are
 * per version (by index here, by file hash there), judged when read.
 */
interface FakeDocument extends Document {
  /** Version index to the validators asked: member ids, or 'all' (those of the space when read). */
  submissions: Map<number, string[] | 'all'>;
  /** Version index to the decisions on it, one per device (a later one replaces it). */
  votes: Map<number, DocDecision[]>;
}

/** A forum topic as the fake keeps it. */
interface FakeTopic {
  id: string;
  space: string;
  title: string;
  createdAt: string;
  author: string;
  followed: boolean;
}

/** Lower case, accents removed: what the backend's search compares. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

export interface Call {
  cmd: string;
  args: Args;
}

export class FakeBackend {
  info: AppInfo = {
    profileDir: '/tmp/bastide-test',
    defaultRelay: 'relais.test:4433',
    deviceId: 'device-1',
    keyStore: 'file',
  };
  spaces: Space[] = [];
  events: AgendaEvent[] = [];
  /** Directory cards; conflict authors are named from the membership when listed. */
  cards: Card[] = [];
  /** Who this device's person is, as they gave it when they joined or created. */
  me: Identity = { name: 'Camille Martin', organisation: 'Pays Exemple', function: 'Chargée de mission' };
  /** Members per space id, removed ones included. */
  members: Record<string, Member[]> = {};
  /** Every code the (fake) relay knows, by code. */
  codes = new Map<string, FakeCode>();
  status: SyncStatus = { online: true, pending: 0, lastError: null, lastSync: null };
  /** The admission token the relay asks for to create a space, or null if it is open. */
  requiredToken: string | null = null;
  calls: Call[] = [];
  /** The next call of a command fails with this error. */
  failures = new Map<string, { code: ErrorCode | string; message: string }>();
  /** Every change to each item, oldest first, by item id (see `recordChange`). */
  changes = new Map<string, FakeChange[]>();
  /** Documents, with their approval state. */
  documents: FakeDocument[] = [];
  /** Files on "this computer": path to size in bytes; `add_document` reads only these. */
  files = new Map<string, number>();
  /** What `save_document` wrote: the path and the version's name. */
  saved: { out: string; name: string }[] = [];
  /** What `open_document` opened. */
  opened: string[] = [];
  /** What the system's file dialogs answer (`@tauri-apps/plugin-dialog`): a path, or null (cancelled). */
  picked: string | null = null;
  topics: FakeTopic[] = [];
  posts: (Post & { space: string })[] = [];
  /** The clock changes are stamped with. */
  now: () => Date = () => new Date();
  /** This computer's notification list, newest last. */
  notifications: {
    id: number;
    space: string;
    spaceName: string;
    item: string;
    module: string;
    body: string;
    at: string;
    read: boolean;
  }[] = [];
  /** Comments on documents. */
  comments: {
    id: string;
    document: string;
    parent: string;
    body: string;
    createdAt: string;
    author: string;
    authorDevice: string;
    mine: boolean;
    deleted: boolean;
  }[] = [];
  /** Photos of cards and resources, as `data:` URLs, by item id. */
  photos = new Map<string, string>();
  /** Spaces whose desktop notifications are muted. */
  muted = new Set<string>();
  /** Commands of modules that keep their fakes beside them (see `bookings/fake.ts`). */
  handlers = new Map<string, (args: Args) => unknown>();
  private nextId = 1;

  install(): this {
    mockIPC((cmd, payload) => this.handle(cmd, (payload ?? {}) as Args), { shouldMockEvents: true });
    return this;
  }

  /** Sends a `bastide://event` as the backend would. */
  push(event: BackendEvent): Promise<void> {
    return emit(BACKEND_EVENT, event);
  }

  callsOf(cmd: string): Args[] {
    return this.calls.filter((c) => c.cmd === cmd).map((c) => c.args);
  }

  /** A space this device is a member of, with this device's person as `role` (admin by default). */
  addSpace(name: string, relay = 'relais.test:4433', role: Role = 'admin'): Space {
    const space = this.newSpace(name, relay);
    this.spaces.push(space);
    this.members[space.id] = [this.meAs(role)];
    return space;
  }

  /** Another person in a space. */
  addMember(space: string, member: Partial<Member> & Pick<Member, 'name'>): Member {
    const added: Member = {
      id: `member-${this.nextId++}`,
      organisation: '',
      function: '',
      role: 'editor',
      devices: [this.hexId()],
      removed: false,
      isMe: false,
      ...member,
    };
    (this.members[space] ??= []).push(added);
    return added;
  }

  /** The member using this device in a space. */
  myself(space: string): Member {
    const me = this.members[space]?.find((m) => m.isMe);
    if (!me) throw new Error(`not a member of ${space}`);
    return me;
  }

  /**
   * An invitation some administrator made on another computer, for a space this
   * device is not in yet: the code the newcomer pastes.
   */
  offerInvite(spaceName: string, role: Role = 'editor', expiresDays = 7): string {
    const space = this.newSpace(spaceName, 'relais.test:4433');
    this.members[space.id] = [
      {
        id: `member-${this.nextId++}`,
        name: 'Dominique Admin',
        organisation: 'Pays Exemple',
        function: 'Directrice',
        role: 'admin',
        devices: [`device-${this.nextId++}`],
        removed: false,
        isMe: false,
      },
    ];
    return this.newCode({ kind: 'invite', space, role }, expiresDays);
  }

  /**
   * An invitation to a space this device is in, as `invite_code` (or, `forDevice`,
   * `device_add`) would have made it, in any state: `expires` (RFC 3339) in the past
   * makes it expired.
   */
  addInvitation(
    space: string,
    options: { role?: Role; forDevice?: boolean; expires?: string; used?: boolean; revoked?: boolean } = {},
  ): FakeCode {
    const { role = 'editor', forDevice = false, expires, used = false, revoked = false } = options;
    const text = forDevice
      ? this.newCode({ kind: 'device', spaces: [this.space(space)] }, 7)
      : this.newCode({ kind: 'invite', space: this.space(space), role }, 7);
    const code = this.codes.get(text)!;
    if (expires) code.expiresAt = Date.parse(expires);
    code.used = used;
    code.revoked = revoked;
    return code;
  }

  /** A device code made on this person's other computer, for spaces this device is not in yet. */
  offerDevice(spaceNames: string[]): string {
    const spaces = spaceNames.map((name) => {
      const space = this.newSpace(name, 'relais.test:4433');
      this.members[space.id] = [{ ...this.meAs('editor'), devices: ['device-other'] }];
      return space;
    });
    return this.newCode({ kind: 'device', spaces }, 7);
  }

  private newSpace(name: string, relay: string): Space {
    return { id: `space-${this.nextId++}`, name, relay };
  }

  private meAs(role: Role): Member {
    return { id: 'member-me', ...this.me, role, devices: [this.info.deviceId], removed: false, isMe: true };
  }

  /**
   * A key-like id, 64 hex characters. The first 8, all the UI shows of a device, differ
   * from one id to the next (an odd multiplier is a bijection on 32 bits).
   */
  private hexId(): string {
    let x = Math.imul(this.nextId++, 0x9e3779b1) >>> 0;
    let hex = '';
    for (let i = 0; i < 8; i++) {
      hex += x.toString(16).padStart(8, '0');
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0;
    }
    return hex;
  }

  /** A code shaped like a real one: the prefix, then a long opaque token. */
  private newCode(code: Omit<FakeCode, 'id' | 'expiresAt' | 'used' | 'revoked'>, days: number): string {
    const token = btoa(JSON.stringify({ kind: code.kind, n: this.nextId++, key: 'x'.repeat(32) }));
    const text = `BSTD1-${token}`;
    const id = this.hexId();
    this.codes.set(text, { id, ...code, expiresAt: Date.now() + days * DAY_MS, used: false, revoked: false });
    return text;
  }

  /**
   * The invitations of a space as `list_invitations` gives them, newest expiry first.
   * A device code stands for one invitation in each of its spaces (the real backend
   * makes one per space; here revoking it withdraws it everywhere).
   */
  private invitations(space: string): Invitation[] {
    return [...this.codes.values()]
      .filter((c) => (c.kind === 'invite' ? c.space?.id === space : (c.spaces ?? []).some((s) => s.id === space)))
      .sort((a, b) => b.expiresAt - a.expiresAt || a.id.localeCompare(b.id))
      .map((c) => ({
        id: c.id,
        role: c.role ?? 'editor',
        forDevice: c.kind === 'device',
        expires: new Date(c.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        used: c.used,
        revoked: c.revoked,
        dead: false,
      }));
  }

  /** The code as the relay would check it before letting it be used. */
  private usable(raw: unknown, kind: FakeCode['kind']): FakeCode {
    const text = String(raw ?? '');
    if (!text.startsWith('BSTD1-')) throw { code: 'invalid_invitation', message: 'bad prefix' };
    const code = this.codes.get(text);
    if (!code) throw { code: 'invite_unknown', message: 'the relay has no such invitation' };
    if (code.kind !== kind) throw { code: 'invalid_invitation', message: `a ${code.kind} code, not ${kind}` };
    if (code.revoked) throw { code: 'invite_revoked', message: 'invitation revoked' };
    if (code.used) throw { code: 'invite_used', message: 'invitation already used' };
    if (code.expiresAt < Date.now()) throw { code: 'expired_invitation', message: 'invitation expired' };
    return code;
  }

  addEventTo(space: string, input: Partial<EventInput> & Pick<EventInput, 'title' | 'start' | 'end'>): AgendaEvent {
    const event: AgendaEvent = {
      id: `event-${this.nextId++}`,
      space,
      allDay: false,
      place: '',
      theme: '',
      description: '',
      ...input,
      deleted: false,
      updatedAt: '2026-11-20T10:00:00+01:00',
      updatedBy: this.info.deviceId,
    };
    this.events.push(event);
    this.recordChange(event.id);
    return event;
  }

  /** A directory card, as `add_card` would have stored it (this device wrote it). */
  addCardTo(space: string, input: Partial<CardInput> & Pick<CardInput, 'name'>): Card {
    const card: Card = {
      ...EMPTY_CARD,
      ...input,
      public: [...(input.public ?? [])],
      id: `card-${this.nextId++}`,
      space,
      conflicts: [],
      deleted: false,
      updatedAt: '2026-11-20T09:00:00Z',
      updatedBy: this.info.deviceId,
    };
    this.cards.push(card);
    this.recordChange(card.id);
    return card;
  }

  /**
   * Two (or more) members changed `field` of a card offline at the same time: each
   * value with the device that wrote it. The card shows the first, as the real
   * backend shows the one every computer picks; authors are named by the membership.
   */
  addConflict(id: string, field: CardField, values: { value: string; device: string }[]): void {
    const card = this.cards.find((c) => c.id === id);
    if (!card) throw new Error(`no card ${id}`);
    if (values.length < 2) throw new Error('a conflict has at least two values');
    (card as unknown as Record<string, string>)[cardKey(field)] = values[0].value;
    card.conflicts = [
      ...card.conflicts.filter((c) => c.field !== field),
      { field, values: values.map((v) => ({ ...v, author: '' })) },
    ].sort((a, b) => CARD_FIELDS.indexOf(a.field) - CARD_FIELDS.indexOf(b.field));
    for (const v of values) this.recordChange(id, v.device);
  }

  /** A file on this computer that `add_document` may read. */
  addFile(path: string, size = 24_576): string {
    this.files.set(path, size);
    return path;
  }

  /** A document, as `add_document` would have stored it from a file named `name`. */
  addDocumentTo(
    space: string,
    name: string,
    options: { folder?: string; size?: number; addedBy?: string; addedAt?: string } = {},
  ): Document {
    const doc: FakeDocument = {
      id: `doc-${this.nextId++}`,
      space,
      title: name.replace(/\.[^.]*$/, ''),
      folder: options.folder ?? '',
      tags: [],
      description: '',
      versions: [],
      status: 'draft',
      validators: [],
      validatorNames: [],
      decisions: [],
      deleted: false,
      updatedAt: options.addedAt ?? this.stamp(),
      submissions: new Map(),
      votes: new Map(),
    };
    this.documents.push(doc);
    this.addVersion(doc, name, options.size ?? 24_576, options.addedBy ?? this.info.deviceId, options.addedAt);
    return this.shownDocument(doc);
  }

  /** A new version of a document: what was approved no longer is. */
  addVersion(doc: Document, name: string, size: number, device = this.info.deviceId, at?: string): void {
    const kept = this.documents.find((d) => d.id === doc.id)!;
    const addedAt = at ?? this.stamp();
    kept.versions.push({
      name,
      file: { size, hash: this.hexId(), key: this.hexId(), chunks: [this.hexId()] },
      addedAt,
      addedBy: device,
      // As the backend decides (core::documents::opens_with_system), for a few types.
      openable: /\.(pdf|odt|ods|docx|xlsx|csv|txt|png|jpe?g)$/i.test(name),
    });
    kept.updatedAt = addedAt;
    this.recordChange(kept.id, device, addedAt);
  }

  /** Submits the latest version, as `submit_document` does: member ids, or [] for every validator. */
  submitAs(id: string, validators: string[] = []): Document {
    const doc = this.documents.find((d) => d.id === id)!;
    doc.submissions.set(doc.versions.length - 1, validators.length > 0 ? [...validators] : 'all');
    this.recordChange(id);
    return this.shownDocument(doc);
  }

  /** A decision on the latest version by the member owning `device` (this device's by default). */
  decideAs(id: string, device: string, approved: boolean, comment = ''): Document {
    const doc = this.documents.find((d) => d.id === id)!;
    const latest = doc.versions.length - 1;
    const votes = (doc.votes.get(latest) ?? []).filter((v) => v.device !== device);
    votes.push({ device, author: '', approved, comment, at: this.stamp(), valid: false });
    doc.votes.set(latest, votes);
    this.recordChange(id, device);
    return this.shownDocument(doc);
  }

  /**
   * A document as the views get it, judged as the real backend judges it: a decision is
   * valid when its device's member is a validator or an administrator; a version is
   * approved when every member needed approved it and no valid refusal stands.
   */
  private shownDocument(doc: FakeDocument): Document {
    const members = this.members[doc.space] ?? [];
    const ownerOf = (device: string) => members.find((m) => m.devices.includes(device) && !m.removed);
    const judged = (index: number): DocDecision[] =>
      (doc.votes.get(index) ?? []).map((d) => {
        const owner = ownerOf(d.device);
        return {
          ...d,
          author: members.find((m) => m.devices.includes(d.device))?.name ?? '',
          valid: !!owner && (owner.role === 'validator' || owner.role === 'admin'),
        };
      });
    const needed = (index: number): string[] | null => {
      const asked = doc.submissions.get(index);
      if (asked === undefined) return null;
      return asked === 'all' ? members.filter((m) => !m.removed && m.role === 'validator').map((m) => m.id) : asked;
    };
    const approved = (index: number): boolean => {
      const ids = needed(index);
      if (!ids || ids.length === 0) return false;
      const decisions = judged(index);
      const by = decisions.filter((d) => d.valid && d.approved).map((d) => ownerOf(d.device)?.id);
      return !decisions.some((d) => d.valid && !d.approved) && ids.every((id) => by.includes(id));
    };
    const latest = doc.versions.length - 1;
    const decisions = judged(latest);
    const validators = needed(latest) ?? [];
    let status: Document['status'];
    if (approved(latest)) status = 'approved';
    else if (decisions.some((d) => d.valid && !d.approved)) status = 'refused';
    else if (doc.submissions.has(latest)) status = 'awaiting';
    else if (doc.versions.some((_, i) => i < latest && approved(i))) status = 'changed_since_approval';
    else status = 'draft';
    return {
      id: doc.id,
      space: doc.space,
      title: doc.title,
      folder: doc.folder,
      tags: [...doc.tags],
      description: doc.description,
      versions: doc.versions.map((v) => ({ ...v, file: { ...v.file, chunks: [...v.file.chunks] } })),
      status,
      validators: [...validators],
      validatorNames: validators.map((id) => members.find((m) => m.id === id)?.name ?? ''),
      decisions,
      deleted: doc.deleted,
      updatedAt: doc.updatedAt,
    };
  }

  private document(space: unknown, id: unknown): FakeDocument {
    const doc = this.documents.find((d) => d.space === space && d.id === id);
    if (!doc) throw { code: 'not_found', message: `no document ${String(id)}` };
    return doc;
  }

  /** A file this computer can read, as `add_document` needs it. */
  private readable(path: unknown): { name: string; size: number } {
    const text = String(path ?? '').trim();
    const size = this.files.get(text);
    if (size === undefined) throw { code: 'file_unreadable', message: `cannot read ${text}` };
    return { name: text.split(/[\\/]/).pop() ?? text, size };
  }

  /** A topic someone opened, with its first message. */
  addTopicTo(space: string, title: string, body: string, options: { author?: string; device?: string; at?: string } = {}): Topic {
    const at = options.at ?? this.stamp();
    const topic: FakeTopic = {
      id: `topic-${this.nextId++}`,
      space,
      title,
      createdAt: at,
      author: options.author ?? this.me.name,
      followed: !options.device,
    };
    this.topics.push(topic);
    this.addPostTo(space, topic.id, body, { ...options, at });
    return this.shownTopic(topic);
  }

  /** A message in a topic: by this device's person unless `device` (another's) is given. */
  addPostTo(
    space: string,
    topic: string,
    body: string,
    options: { author?: string; device?: string; at?: string; parent?: string; quote?: Quote | null } = {},
  ): Post {
    const device = options.device ?? this.info.deviceId;
    const mine = device === this.info.deviceId;
    // Members whose name follows an @, the longest name winning, by member id (as the backend does).
    const members = (this.members[space] ?? []).filter((m) => m.name !== '');
    const lower = body.toLowerCase();
    const mentions: string[] = [];
    for (let at = lower.indexOf('@'); at >= 0; at = lower.indexOf('@', at + 1)) {
      const rest = lower.slice(at + 1);
      const best = members
        .filter((m) => rest.startsWith(m.name.toLowerCase()))
        .sort((a, b) => b.name.length - a.name.length)[0];
      if (best && !mentions.includes(best.id)) mentions.push(best.id);
    }
    const myId = this.members[space]?.find((m) => m.isMe)?.id;
    const post: Post & { space: string } = {
      id: `post-${this.nextId++}`,
      space,
      topic,
      parent: options.parent ?? '',
      body,
      quote: options.quote ?? null,
      mentions,
      createdAt: options.at ?? this.stamp(),
      author: options.author ?? (mine ? this.me.name : 'Quelqu’un'),
      authorDevice: device,
      mine,
      unread: !mine,
      mentionsMe: !!myId && mentions.includes(myId),
      deleted: false,
    };
    this.posts.push(post);
    this.recordChange(post.id, device, post.createdAt);
    return { ...post };
  }

  private shownTopic(topic: FakeTopic): Topic {
    const posts = this.posts.filter((p) => p.topic === topic.id);
    const last = posts.map((p) => p.createdAt).sort().pop() ?? topic.createdAt;
    return {
      id: topic.id,
      title: topic.title,
      createdAt: topic.createdAt,
      author: topic.author,
      posts: posts.length,
      unread: posts.filter((p) => p.unread).length,
      followed: topic.followed,
      lastActivity: last,
    };
  }

  private topic(space: unknown, id: unknown): FakeTopic {
    const topic = this.topics.find((t) => t.space === space && t.id === id);
    if (!topic) throw { code: 'not_found', message: `no topic ${String(id)}` };
    return topic;
  }

  /** A topic's messages in display order: each followed by its replies, oldest first. */
  private threaded(topic: string): Post[] {
    const all = this.posts.filter((p) => p.topic === topic).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const out: Post[] = [];
    const visit = (parent: string) => {
      for (const post of all.filter((p) => p.parent === parent)) {
        const { space: _space, ...shown } = post;
        out.push({ ...shown, mentions: [...post.mentions] });
        visit(post.id);
      }
    };
    visit('');
    return out;
  }

  /** What `search` finds: every word of the query, accents and case aside. */
  private search(space: unknown, text: string): Hit[] {
    const words = fold(text).split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return [];
    const mine = this.spaces.map((s) => s.id).filter((id) => space === null || space === undefined || id === space);
    const candidates: { space: string; item: string; kind: Hit['kind']; title: string; text: string }[] = [
      ...this.events
        .filter((e) => !e.deleted)
        .map((e) => ({ space: e.space, item: e.id, kind: 'agenda.event' as const, title: e.title, text: `${e.title} ${e.place} ${e.description}` })),
      ...this.cards
        .filter((c) => !c.deleted)
        .map((c) => ({ space: c.space, item: c.id, kind: 'directory.card' as const, title: c.name, text: `${c.name} ${c.organisation} ${c.commune}` })),
      ...this.documents
        .filter((d) => !d.deleted)
        .map((d) => ({ space: d.space, item: d.id, kind: 'doc.document' as const, title: d.title, text: `${d.title} ${d.description}` })),
      ...this.topics.map((t) => ({ space: t.space, item: t.id, kind: 'forum.topic' as const, title: t.title, text: t.title })),
      ...this.posts
        .filter((p) => !p.deleted)
        .map((p) => ({
          space: p.space,
          item: p.id,
          kind: 'forum.post' as const,
          title: this.topics.find((t) => t.id === p.topic)?.title ?? '',
          text: p.body,
        })),
    ];
    return candidates
      .filter((c) => mine.includes(c.space) && words.every((w) => fold(c.text).includes(w)))
      .map((c) => ({ space: c.space, item: c.item, kind: c.kind, title: c.title, snippet: this.snippet(c.text, words) }));
  }

  /** The text with each match between « and » (folding keeps lengths for Latin text). */
  private snippet(text: string, words: string[]): string {
    const folded = fold(text);
    let out = '';
    let i = 0;
    while (i < text.length) {
      const word = words.find((w) => folded.startsWith(w, i));
      if (word) {
        out += `«${text.slice(i, i + word.length)}»`;
        i += word.length;
      } else {
        out += text[i++];
      }
    }
    return out.trim();
  }

  /**
   * A signed change to an item, by this device unless said otherwise (another
   * member's device, or one no membership names), at `at` or now.
   */
  recordChange(id: string, device = this.info.deviceId, at?: string): void {
    const stamp = at ?? this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const list = this.changes.get(id) ?? [];
    list.push({ device, at: stamp });
    this.changes.set(id, list);
  }

  /** An item's history as `item_history` gives it: newest first, authors named by the membership. */
  private history(space: string, id: string): HistoryEntry[] {
    const members = this.members[space] ?? [];
    return [...(this.changes.get(id) ?? [])].reverse().map((change) => ({
      author: members.find((m) => m.devices.includes(change.device))?.name ?? '',
      device: change.device,
      at: change.at,
      mine: change.device === this.info.deviceId,
      refused: null,
    }));
  }

  private handle(cmd: string, args: Args): unknown {
    this.calls.push({ cmd, args });
    const failure = this.failures.get(cmd);
    if (failure) {
      this.failures.delete(cmd);
      throw { ...failure };
    }
    switch (cmd) {
      case 'app_info':
        return this.info;
      case 'list_spaces':
        return this.spaces;
      case 'create_space': {
        const me = (args.me ?? {}) as Partial<Identity>;
        const name = typeof me.name === 'string' ? me.name.trim() : '';
        if (name === '') throw { code: 'invalid_input', message: 'me.name is empty' };
        if (this.requiredToken !== null && args.token !== this.requiredToken) {
          throw args.token == null
            ? { code: 'token_required', message: 'creating a space on this relay needs an admission token' }
            : { code: 'token_refused', message: 'unknown admission token' };
        }
        this.me = { name, organisation: String(me.organisation ?? ''), function: String(me.function ?? '') };
        return this.addSpace(String(args.name), String(args.relay));
      }
      case 'invite_code': {
        this.acting(args.space, 'admin');
        if (!(ROLE_IDS as readonly unknown[]).includes(args.role)) throw { code: 'invalid_input', message: `bad role ${String(args.role)}` };
        const days = args.expiresDays;
        if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 90) {
          throw { code: 'invalid_input', message: `expires_days must be 1..=90, got ${String(days)}` };
        }
        return this.newCode({ kind: 'invite', space: this.space(args.space), role: args.role as Role }, days);
      }
      case 'join_space': {
        const name = typeof args.name === 'string' ? args.name.trim() : '';
        if (name === '') throw { code: 'invalid_input', message: 'name is empty' };
        const code = this.usable(args.code, 'invite');
        const space = code.space!;
        const mine = this.members[space.id]?.find((m) => m.isMe && !m.removed);
        if (mine) throw { code: 'already_member', message: 'already a member' };
        code.used = true;
        const who = { name, organisation: String(args.organisation ?? ''), function: String(args.function ?? '') };
        this.me = who;
        const member: Member = {
          id: `member-${this.nextId++}`,
          ...who,
          role: code.role ?? 'editor',
          devices: [this.info.deviceId],
          removed: false,
          isMe: true,
        };
        (this.members[space.id] ??= []).push(member);
        if (!this.spaces.some((s) => s.id === space.id)) this.spaces.push(space);
        return space;
      }
      case 'space_members':
        this.space(args.space);
        return (this.members[String(args.space)] ?? []).map((m) => ({ ...m, devices: [...m.devices] }));
      case 'set_role': {
        this.acting(args.space, 'admin');
        if (!(ROLE_IDS as readonly unknown[]).includes(args.role)) throw { code: 'invalid_input', message: `bad role ${String(args.role)}` };
        const member = this.member(args.space, args.member);
        if (member.role === 'admin' && args.role !== 'admin' && this.admins(args.space) === 1) {
          throw { code: 'last_admin', message: 'the space would have no admin' };
        }
        member.role = args.role as Role;
        return null;
      }
      case 'remove_member': {
        this.acting(args.space, 'admin');
        const member = this.member(args.space, args.member);
        if (member.role === 'admin' && this.admins(args.space) === 1) {
          throw { code: 'last_admin', message: 'the space would have no admin' };
        }
        member.removed = true;
        return null;
      }
      case 'list_invitations':
        this.space(args.space);
        return this.invitations(String(args.space));
      case 'revoke_invitation': {
        // In the order the membership log checks: the author, the invitation, who may
        // withdraw it (an administrator, or the person a device code is for), its state.
        this.acting(args.space, 'member');
        const code = [...this.codes.values()].find(
          (c) => c.id === args.invitation && this.invitations(String(args.space)).some((i) => i.id === c.id),
        );
        if (!code) throw { code: 'invite_unknown', message: `no invitation ${String(args.invitation)}` };
        if (code.kind === 'invite') this.acting(args.space, 'admin');
        if (code.used) throw { code: 'invite_used', message: 'invitation already used' };
        if (code.revoked) throw { code: 'invite_revoked', message: 'invitation revoked' };
        code.revoked = true;
        return null;
      }
      case 'remove_device': {
        // An administrator any device; a member their own. Asked by someone else, an
        // unknown device is refused as not theirs before being found missing.
        const me = this.acting(args.space, 'member');
        const owner = (this.members[String(args.space)] ?? []).find(
          (m) => !m.removed && m.devices.includes(String(args.device)),
        );
        if (owner !== me) this.acting(args.space, 'admin');
        if (!owner) throw { code: 'not_found', message: `no device ${String(args.device)}` };
        owner.devices = owner.devices.filter((d) => d !== args.device);
        return null;
      }
      case 'device_add':
        return this.newCode({ kind: 'device', spaces: [...this.spaces] }, 7);
      case 'device_join': {
        const code = this.usable(args.code, 'device');
        const spaces = code.spaces ?? [];
        if (spaces.length > 0 && spaces.every((s) => this.spaces.some((own) => own.id === s.id))) {
          throw { code: 'already_member', message: 'this device is already in these spaces' };
        }
        code.used = true;
        for (const space of spaces) {
          if (!this.spaces.some((s) => s.id === space.id)) this.spaces.push(space);
          const me = this.members[space.id]?.find((m) => m.isMe);
          if (me && !me.devices.includes(this.info.deviceId)) me.devices.push(this.info.deviceId);
        }
        return spaces;
      }
      case 'list_events':
        this.space(args.space);
        return this.ofSpace(args.space, false).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      case 'list_trash':
        this.space(args.space);
        return this.ofSpace(args.space, true);
      case 'add_event': {
        this.acting(args.space, 'write');
        const input = this.checked(args.event);
        return this.addEventTo(String(args.space), input);
      }
      case 'update_event': {
        this.acting(args.space, 'write');
        const event = this.event(args.space, args.id);
        Object.assign(event, this.checked(args.event));
        this.recordChange(event.id);
        return { ...event };
      }
      case 'delete_event': {
        this.acting(args.space, 'write');
        const event = this.event(args.space, args.id);
        event.deleted = true;
        this.recordChange(event.id);
        return null;
      }
      case 'restore_event': {
        this.acting(args.space, 'write');
        const event = this.event(args.space, args.id);
        event.deleted = false;
        this.recordChange(event.id);
        return null;
      }
      case 'list_cards': {
        this.space(args.space);
        const filter = (args.filter ?? {}) as Record<string, unknown>;
        const matches = (value: string, wanted: unknown) => wanted === null || wanted === undefined || value === wanted;
        return this.cards
          .filter(
            (c) =>
              c.space === args.space &&
              c.deleted === Boolean(filter.deleted) &&
              matches(c.organisation, filter.organisation) &&
              matches(c.commune, filter.commune) &&
              matches(c.discipline, filter.discipline),
          )
          .sort((a, b) => {
            const [x, y] = [nocase(a.name), nocase(b.name)];
            return x < y ? -1 : x > y ? 1 : a.id.localeCompare(b.id);
          })
          .map((c) => this.shownCard(c));
      }
      case 'add_card': {
        this.acting(args.space, 'write');
        const input = this.checkedCard(args.card);
        const card = this.addCardTo(String(args.space), input);
        return this.shownCard(card);
      }
      case 'update_card': {
        this.acting(args.space, 'write');
        const card = this.card(args.space, args.id);
        const input = this.checkedCard(args.card);
        // Fields that differ from what the card shows are written, and so is every
        // field in conflict: the form's value settles it.
        const changed =
          card.conflicts.length > 0 ||
          (Object.keys(EMPTY_CARD) as (keyof CardInput)[]).some(
            (key) => JSON.stringify(card[key]) !== JSON.stringify(input[key]),
          );
        if (changed) {
          Object.assign(card, input, { conflicts: [], updatedAt: this.stamp(), updatedBy: this.info.deviceId });
          this.recordChange(card.id);
        }
        return this.shownCard(card);
      }
      case 'pick_card_value': {
        this.acting(args.space, 'write');
        const card = this.card(args.space, args.id);
        const field = args.field as CardField;
        if (!(CARD_FIELDS as readonly unknown[]).includes(field)) {
          throw { code: 'invalid_input', message: `a card has no field ${JSON.stringify(args.field)}` };
        }
        (card as unknown as Record<string, string>)[cardKey(field)] = String(args.value ?? '').trim();
        card.conflicts = card.conflicts.filter((c) => c.field !== field);
        Object.assign(card, { updatedAt: this.stamp(), updatedBy: this.info.deviceId });
        this.recordChange(card.id);
        return this.shownCard(card);
      }
      case 'set_card_deleted': {
        this.acting(args.space, 'write');
        const card = this.card(args.space, args.id);
        Object.assign(card, { deleted: Boolean(args.deleted), updatedAt: this.stamp(), updatedBy: this.info.deviceId });
        this.recordChange(card.id);
        return this.shownCard(card);
      }
      case 'item_history': {
        this.space(args.space);
        const known =
          this.cards.some((c) => c.space === args.space && c.id === args.id) ||
          this.documents.some((d) => d.space === args.space && d.id === args.id);
        if (!known) this.event(args.space, args.id);
        return this.history(String(args.space), String(args.id));
      }
      case 'plugin:dialog|open':
      case 'plugin:dialog|save':
        return this.picked;
      case 'document_trash':
        this.space(args.space);
        return this.documents.filter((d) => d.space === args.space && d.deleted).map((d) => this.shownDocument(d));
      case 'set_document_deleted': {
        this.acting(args.space, 'write');
        const doc = this.document(args.space, args.id);
        doc.deleted = Boolean(args.deleted);
        return this.shownDocument(doc);
      }
      case 'purge_document': {
        this.acting(args.space, 'admin');
        const doc = this.document(args.space, args.id);
        if (!doc.deleted) throw { code: 'invalid_input', message: 'only a document in the trash can be purged' };
        this.documents = this.documents.filter((d) => d !== doc);
        return null;
      }
      case 'document_from_template': {
        this.acting(args.space, 'write');
        const template = this.document(args.space, args.template);
        const made: FakeDocument = {
          ...template,
          id: `doc-${this.nextId++}`,
          title: String(args.title),
          folder: String(args.folder),
          status: 'draft',
          validators: [],
          validatorNames: [],
          decisions: [],
          versions: template.versions.slice(-1),
          submissions: new Map(),
          votes: new Map(),
        };
        this.documents.push(made);
        return this.shownDocument(made);
      }
      case 'document_comments':
        return this.comments.filter((c) => c.document === args.document);
      case 'comment_document': {
        // Every member comments, readers included.
        const me = this.acting(args.space, 'member');
        const body = String(args.body ?? '').trim();
        if (!body) throw { code: 'invalid_input', message: 'the comment is empty' };
        const made = {
          id: `comment-${this.nextId++}`,
          document: String(args.document),
          parent: args.parent ? String(args.parent) : '',
          body,
          createdAt: this.now().toISOString(),
          author: me.name,
          authorDevice: this.info.deviceId,
          mine: true,
          deleted: false,
        };
        this.comments.push(made);
        return made;
      }
      case 'delete_comment': {
        const c = this.comments.find((x) => x.id === args.id);
        if (!c) throw { code: 'not_found', message: 'no comment' };
        c.deleted = true;
        c.body = '';
        return null;
      }
      case 'list_documents':
        this.space(args.space);
        return this.documents.filter((d) => d.space === args.space && !d.deleted).map((d) => this.shownDocument(d));
      case 'get_document':
        this.space(args.space);
        return this.shownDocument(this.document(args.space, args.id));
      case 'add_document': {
        this.acting(args.space, 'write');
        const file = this.readable(args.path);
        return this.addDocumentTo(String(args.space), file.name, { folder: String(args.folder ?? '').trim(), size: file.size });
      }
      case 'add_document_version': {
        this.acting(args.space, 'write');
        const doc = this.document(args.space, args.id);
        const file = this.readable(args.path);
        this.addVersion(doc, file.name, file.size);
        return this.shownDocument(doc);
      }
      case 'describe_document': {
        this.acting(args.space, 'write');
        const doc = this.document(args.space, args.id);
        const title = String(args.title ?? '').trim();
        if (title === '') throw { code: 'empty_title', message: 'a document needs a title' };
        Object.assign(doc, {
          title,
          folder: String(args.folder ?? '').trim(),
          tags: (Array.isArray(args.tags) ? args.tags : []).map(String),
          description: String(args.description ?? ''),
          updatedAt: this.stamp(),
        });
        this.recordChange(doc.id);
        return this.shownDocument(doc);
      }
      case 'submit_document': {
        this.acting(args.space, 'write');
        const doc = this.document(args.space, args.id);
        const asked = (Array.isArray(args.validators) ? args.validators : []).map(String);
        for (const id of asked) this.member(args.space, id);
        return this.submitAs(doc.id, asked);
      }
      case 'decide_document': {
        const me = this.acting(args.space, 'member');
        if (me.role !== 'validator' && me.role !== 'admin') throw { code: 'not_allowed', message: `role ${me.role} may not decide` };
        const doc = this.document(args.space, args.id);
        const comment = String(args.comment ?? '').trim();
        if (!args.approved && comment === '') throw { code: 'invalid_input', message: 'a refusal needs a comment' };
        return this.decideAs(doc.id, this.info.deviceId, Boolean(args.approved), comment);
      }
      case 'save_document':
      case 'open_document': {
        this.space(args.space);
        const doc = this.document(args.space, args.id);
        const index = args.version === null || args.version === undefined ? doc.versions.length - 1 : Number(args.version);
        const version = doc.versions[index];
        if (!version) throw { code: 'not_found', message: `no version ${String(args.version)}` };
        if (cmd === 'open_document') {
          if (!version.openable) throw { code: 'cannot_open', message: `${version.name} is not a type the app opens` };
          this.opened.push(version.name);
        } else {
          const out = String(args.out ?? '');
          if (out === '' || out.startsWith('/nonexistent/')) throw { code: 'file_unwritable', message: `cannot write ${out}` };
          this.saved.push({ out, name: version.name });
        }
        return null;
      }
      case 'list_topics':
        this.space(args.space);
        return this.topics
          .filter((t) => t.space === args.space)
          .map((t) => this.shownTopic(t))
          .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity));
      case 'create_topic': {
        this.acting(args.space, 'write');
        const title = String(args.title ?? '').trim();
        if (title === '') throw { code: 'empty_title', message: 'a topic needs a title' };
        if (String(args.body ?? '').trim() === '') throw { code: 'invalid_input', message: 'empty message' };
        return this.addTopicTo(String(args.space), title, String(args.body));
      }
      case 'topic_posts':
        this.topic(args.space, args.topic);
        return this.threaded(String(args.topic));
      case 'post_message': {
        this.acting(args.space, 'write');
        this.topic(args.space, args.topic);
        const body = String(args.body ?? '').trim();
        if (body === '') throw { code: 'invalid_input', message: 'empty message' };
        const parent = args.parent ? String(args.parent) : '';
        if (parent && !this.posts.some((p) => p.id === parent && p.topic === args.topic)) {
          throw { code: 'not_found', message: `no post ${parent}` };
        }
        return this.addPostTo(String(args.space), String(args.topic), body, {
          parent,
          quote: (args.quote as Quote | null) ?? null,
        });
      }
      case 'follow_topic':
        this.topic(args.space, args.topic).followed = Boolean(args.follow);
        return null;
      case 'mark_topic_read':
        this.topic(args.space, args.topic);
        for (const post of this.posts) if (post.topic === args.topic) post.unread = false;
        return null;
      case 'search':
        return this.search(args.space, String(args.text ?? ''));
      case 'sync_status':
        return this.status;
      case 'photo':
        return this.photos.get(String(args.id)) ?? null;
      case 'set_photo': {
        const size = this.files.get(String(args.path));
        if (size === undefined) throw { code: 'file_unreadable', message: `cannot read ${String(args.path)}` };
        if (!/\.(jpe?g|png|webp)$/i.test(String(args.path))) throw { code: 'invalid_input', message: 'not an image' };
        this.photos.set(String(args.id), `data:image/png;base64,${btoa(String(args.path))}`);
        return null;
      }
      case 'remove_photo':
        this.photos.delete(String(args.id));
        return null;
      case 'list_notifications':
        return [...this.notifications].reverse();
      case 'mark_notifications_read':
        for (const n of this.notifications) if (args.upTo == null || n.id <= Number(args.upTo)) n.read = true;
        return null;
      case 'first_paint':
        return null;
      case 'space_muted':
        return this.muted.has(String(args.space));
      case 'set_space_muted':
        this.space(args.space);
        if (args.muted) this.muted.add(String(args.space));
        else this.muted.delete(String(args.space));
        return null;
      default: {
        const handler = this.handlers.get(cmd);
        if (handler) return handler(args);
        throw { code: 'internal', message: `unknown command ${cmd}` };
      }
    }
  }

  private ofSpace(space: unknown, deleted: boolean): AgendaEvent[] {
    return this.events.filter((e) => e.space === space && e.deleted === deleted).map((e) => ({ ...e }));
  }

  private space(id: unknown): Space {
    const space = this.spaces.find((s) => s.id === id);
    if (!space) throw { code: 'not_found', message: `no space ${String(id)}` };
    return space;
  }

  /** This device's member in the space, if its role allows the action. */
  private acting(space: unknown, needs: 'admin' | 'write' | 'member'): Member {
    this.space(space);
    const me = this.members[String(space)]?.find((m) => m.isMe);
    if (!me || me.removed) throw { code: 'not_member', message: 'this device is not a member of the space' };
    const allowed = needs === 'admin' ? me.role === 'admin' : needs === 'write' ? me.role !== 'reader' : true;
    if (!allowed) throw { code: 'not_allowed', message: `role ${me.role} may not do this` };
    return me;
  }

  private member(space: unknown, id: unknown): Member {
    const member = this.members[String(space)]?.find((m) => m.id === id && !m.removed);
    if (!member) throw { code: 'not_found', message: `no member ${String(id)}` };
    return member;
  }

  private admins(space: unknown): number {
    return (this.members[String(space)] ?? []).filter((m) => !m.removed && m.role === 'admin').length;
  }

  private event(space: unknown, id: unknown): AgendaEvent {
    const event = this.events.find((e) => e.space === space && e.id === id);
    if (!event) throw { code: 'not_found', message: `no event ${String(id)}` };
    return event;
  }

  private card(space: unknown, id: unknown): Card {
    const card = this.cards.find((c) => c.space === space && c.id === id);
    if (!card) throw { code: 'not_found', message: `no item ${String(id)}` };
    return card;
  }

  /** A copy of a card as the views get it: authors of concurrent values named. */
  private shownCard(card: Card): Card {
    const members = this.members[card.space] ?? [];
    return {
      ...card,
      public: [...card.public],
      conflicts: card.conflicts.map((c) => ({
        field: c.field,
        values: c.values.map((v) => ({ ...v, author: members.find((m) => m.devices.includes(v.device))?.name ?? '' })),
      })),
    };
  }

  /** The card input checked and normalised as the real backend does (`CardInput::check`). */
  private checkedCard(raw: unknown): CardInput {
    const given = (raw ?? {}) as Partial<Record<keyof CardInput, unknown>>;
    const input: CardInput = { ...EMPTY_CARD, kind: '' as CardInput['kind'], public: [] };
    for (const field of CARD_FIELDS) {
      const key = cardKey(field);
      const value = String(given[key] ?? '').trim();
      if ([...value].length > MAX_CARD_FIELD) {
        throw { code: 'invalid_input', message: `the field ${field} is longer than ${MAX_CARD_FIELD} characters` };
      }
      (input as unknown as Record<string, string>)[key] = value;
    }
    if (input.name === '') throw { code: 'invalid_input', message: 'a card needs a name' };
    if ((input.kind as string) === '') input.kind = 'person';
    if (input.kind !== 'person' && input.kind !== 'organisation') {
      throw { code: 'invalid_input', message: `a card is for a person or an organisation, not "${input.kind}"` };
    }
    if (!['', 'titulaire', 'remplaçant'].includes(input.status)) {
      throw { code: 'invalid_input', message: `the status is titulaire, remplaçant or nothing, not "${input.status}"` };
    }
    for (const date of [input.statusFrom, input.statusUntil]) {
      if (date !== '' && !isDay(date)) {
        throw { code: 'invalid_input', message: `"${date}" is not a date (YYYY-MM-DD)` };
      }
    }
    input.notes = String(given.notes ?? '');
    if ([...input.notes].length > MAX_CARD_NOTES) {
      throw { code: 'invalid_input', message: `the notes are longer than ${MAX_CARD_NOTES} characters` };
    }
    const known: readonly string[] = CARD_FIELDS;
    input.public = [...new Set((Array.isArray(given.public) ? given.public : []).map(String))]
      .filter((f) => known.includes(f))
      .sort();
    return input;
  }

  /** Now, as the backend stamps changes: RFC 3339, UTC. */
  private stamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private checked(raw: unknown): EventInput {
    const input = raw as EventInput;
    if (!input.title?.trim()) throw { code: 'empty_title', message: 'title is empty' };
    const start = Date.parse(input.start);
    const end = Date.parse(input.end);
    if (Number.isNaN(start) || Number.isNaN(end)) throw { code: 'invalid_date', message: 'unparsable date' };
    if (end < start) throw { code: 'end_before_start', message: 'end is before start' };
    return input;
  }
}

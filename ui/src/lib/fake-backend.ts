// An in-memory stand-in for the Tauri backend, for component tests: it answers the
// same commands with the same shapes (see ipc.ts) and rejects with `{code, message}`
// like the Rust side. Not imported by the app itself.

import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { BACKEND_EVENT } from './ipc';
import type { AgendaEvent, AppInfo, BackendEvent, ErrorCode, EventInput, Space, SyncStatus } from './types';

type Args = Record<string, unknown>;

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
  status: SyncStatus = { online: true, pending: 0, lastError: null, lastSync: null };
  calls: Call[] = [];
  /** The next call of a command fails with this error. */
  failures = new Map<string, { code: ErrorCode | string; message: string }>();
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

  addSpace(name: string, relay = 'relais.test:4433'): Space {
    const space = { id: `space-${this.nextId++}`, name, relay };
    this.spaces.push(space);
    return space;
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
    return event;
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
      case 'create_space':
        return this.addSpace(String(args.name), String(args.relay));
      case 'invite_code':
        // Shaped like a real code: the prefix, then a long opaque token.
        return `BSTD1-${btoa(JSON.stringify({ space: args.space, relay: this.space(args.space).relay, key: 'x'.repeat(32) }))}`;
      case 'join_space': {
        const code = String(args.code);
        if (!code.startsWith('BSTD1-')) throw { code: 'invalid_invitation', message: 'bad prefix' };
        return this.addSpace('Espace rejoint');
      }
      case 'list_events':
        this.space(args.space);
        return this.ofSpace(args.space, false).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      case 'list_trash':
        this.space(args.space);
        return this.ofSpace(args.space, true);
      case 'add_event': {
        this.space(args.space);
        const input = this.checked(args.event);
        return this.addEventTo(String(args.space), input);
      }
      case 'update_event': {
        const event = this.event(args.space, args.id);
        Object.assign(event, this.checked(args.event));
        return { ...event };
      }
      case 'delete_event':
        this.event(args.space, args.id).deleted = true;
        return null;
      case 'restore_event':
        this.event(args.space, args.id).deleted = false;
        return null;
      case 'sync_status':
        return this.status;
      default:
        throw { code: 'internal', message: `unknown command ${cmd}` };
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

  private event(space: unknown, id: unknown): AgendaEvent {
    const event = this.events.find((e) => e.space === space && e.id === id);
    if (!event) throw { code: 'not_found', message: `no event ${String(id)}` };
    return event;
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

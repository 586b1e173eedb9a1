// The one place that talks to the Tauri backend. Every command has a typed wrapper;
// a rejected command becomes a BastideError. Argument keys are camelCase: Tauri maps
// them to the snake_case parameters of the Rust commands.

import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { BastideError } from './errors';
import type { AgendaEvent, AppInfo, BackendEvent, EventInput, Space, SyncStatus } from './types';

/** Name of the single backend-to-UI event; its payload is a `BackendEvent`. */
export const BACKEND_EVENT = 'bastide://event';

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
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

export function createSpace(name: string, relay: string): Promise<Space> {
  return call('create_space', { name, relay });
}

/** The invitation code (`BSTD1-…`) for a space. */
export function inviteCode(space: string): Promise<string> {
  return call('invite_code', { space });
}

export function joinSpace(code: string): Promise<Space> {
  return call('join_space', { code });
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

export function syncStatus(): Promise<SyncStatus> {
  return call('sync_status');
}

/** Calls `handler` for every backend event until the returned function is called. */
export function onBackendEvent(handler: (event: BackendEvent) => void): Promise<UnlistenFn> {
  return listen<BackendEvent>(BACKEND_EVENT, (e) => handler(e.payload));
}

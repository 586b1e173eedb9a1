// This computer's notification list, and muting a space's desktop notifications.

import { call } from '../ipc';

export interface Notification {
  id: number;
  space: string;
  spaceName: string;
  item: string;
  /** Agenda, Documents, Forum, Réservations, Sondages, Gardes... */
  module: string;
  body: string;
  at: string;
  read: boolean;
}

export const listNotifications = (limit = 100): Promise<Notification[]> => call('list_notifications', { limit });
export const markNotificationsRead = async (upTo: number | null = null): Promise<void> => {
  await call<null>('mark_notifications_read', { upTo });
};
export const spaceMuted = (space: string): Promise<boolean> => call('space_muted', { space });
export const setSpaceMuted = async (space: string, muted: boolean): Promise<void> => {
  await call<null>('set_space_muted', { space, muted });
};

/** How many are unread. */
export function unread(list: Notification[]): number {
  return list.filter((n) => !n.read).length;
}

// The board commands for tests.

import type { Args, FakeBackend } from '../fake-backend';
import type { Ad, AdFilter, AdInput } from './board';

export function installBoard(backend: FakeBackend): { ads: Ad[] } {
  let next = 1;
  const state = { ads: [] as Ad[] };
  const ad = (id: unknown) => {
    const found = state.ads.find((a) => a.id === id);
    if (!found) throw { code: 'not_found', message: `no ad ${String(id)}` };
    return found;
  };
  backend.handlers.set('list_ads', (args: Args) => {
    const f = args.filter as AdFilter;
    return state.ads.filter(
      (a) => (!f.category || a.category === f.category) && (!f.commune || a.commune === f.commune) && (f.all || (!a.closed && !a.expired)),
    );
  });
  backend.handlers.set('add_ad', (args: Args) => {
    const input = args.ad as AdInput;
    if (!input.title.trim()) throw { code: 'empty_title', message: 'empty' };
    const made: Ad = { ...input, expires: input.expires || '2099-01-01', id: `ad-${next++}`, space: String(args.space), closed: false, expired: false, authorDevice: '', author: backend.me.name, mine: true, createdAt: '', updatedAt: '' };
    state.ads.unshift(made);
    return made;
  });
  backend.handlers.set('update_ad', (args: Args) => Object.assign(ad(args.id), args.ad as AdInput));
  backend.handlers.set('close_ad', (args: Args) => Object.assign(ad(args.id), { closed: true }));
  backend.handlers.set('renew_ad', (args: Args) => Object.assign(ad(args.id), { closed: false, expired: false }));
  return state;
}

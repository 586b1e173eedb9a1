// The cantine commands for tests: sites and counts in memory, weekends closed, counts
// checked like the backend does, and a conflict put in by the test.

import type { Args, FakeBackend } from '../fake-backend';
import type { CantineSite, MealCell, MealDay, MealMonth, MealValue, SiteInput } from './cantine';

export interface FakeCantine {
  sites: CantineSite[];
  /** Cells by `site|date|category`. */
  cells: Map<string, MealValue[]>;
  /** Two counts entered offline for one cell. */
  conflict(site: string, date: string, category: string, values: MealValue[]): void;
  /** Exports written: the path and format. */
  exported: { out: string; format: string }[];
}

export function installCantine(backend: FakeBackend): FakeCantine {
  let next = 1;
  const state: FakeCantine = {
    sites: [],
    cells: new Map(),
    conflict(site, date, category, values) {
      state.cells.set(`${site}|${date}|${category}`, values);
    },
    exported: [],
  };
  const site = (id: unknown) => {
    const found = state.sites.find((s) => s.id === id);
    if (!found) throw { code: 'not_found', message: `no site ${String(id)}` };
    return found;
  };
  const month = (id: unknown, m: string): MealMonth => {
    const s = site(id);
    const [y, mo] = m.split('-').map(Number);
    const days: MealDay[] = [];
    const totals: Record<string, number> = Object.fromEntries(s.categories.map((c) => [c, 0]));
    let conflicts = 0;
    for (let d = new Date(y, mo - 1, 1); d.getMonth() === mo - 1; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
      const date = `${y}-${String(mo).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      const weekday = ((d.getDay() + 6) % 7) + 1;
      const cells: Record<string, MealCell> = {};
      for (const c of s.categories) {
        const values = state.cells.get(`${s.id}|${date}|${c}`) ?? [];
        cells[c] = { count: values[0]?.count ?? null, values };
        if (values.length > 1) conflicts += 1;
        totals[c] += values[0]?.count ?? 0;
      }
      const closed = weekday >= 6 ? 'weekend' : s.closedDays.includes(date) ? 'closed' : '';
      days.push({ date, weekday, closed, label: '', cells });
    }
    const total = Object.values(totals).reduce((a, b) => a + b, 0);
    return { site: s.id, siteName: s.name, month: m, categories: s.categories, days, totals, total, conflicts };
  };
  backend.handlers.set('list_cantine_sites', () => state.sites);
  backend.handlers.set('add_cantine_site', (args: Args) => {
    const input = args.site as SiteInput;
    if (!input.name.trim()) throw { code: 'empty_title', message: 'empty' };
    const made: CantineSite = {
      id: `site-${next++}`,
      space: String(args.space),
      name: input.name.trim(),
      categories: input.categories.length > 0 ? input.categories : ['maternelle', 'élémentaire', 'adulte'],
      closedDays: [],
      deleted: false,
      updatedAt: '',
      updatedBy: '',
    };
    state.sites.push(made);
    return made;
  });
  backend.handlers.set('update_cantine_site', (args: Args) => {
    const s = site(args.id);
    const input = args.site as SiteInput;
    s.name = input.name.trim();
    if (input.categories.length > 0) s.categories = input.categories;
    return s;
  });
  backend.handlers.set('set_cantine_closed', (args: Args) => {
    const s = site(args.site);
    const from = new Date(String(args.from));
    const to = new Date(String(args.to));
    for (let d = from; d <= to; d = new Date(d.getTime() + 86_400_000)) {
      const key = d.toISOString().slice(0, 10);
      s.closedDays = args.closed ? [...new Set([...s.closedDays, key])] : s.closedDays.filter((c) => c !== key);
    }
    return s;
  });
  backend.handlers.set('meal_month', (args: Args) => month(args.site, String(args.month)));
  backend.handlers.set('set_meal_count', (args: Args) => {
    const count = Number(args.count);
    if (!Number.isInteger(count) || count < 0 || count > 2000) throw { code: 'invalid_count', message: `${count}` };
    const s = site(args.site);
    const category = String(args.category);
    if (!s.categories.includes(category)) throw { code: 'invalid_input', message: 'no such category' };
    state.cells.set(`${s.id}|${String(args.date)}|${category}`, [
      { count, author: backend.me.name, device: backend.info.deviceId, at: new Date().toISOString() },
    ]);
    return month(s.id, String(args.date).slice(0, 7));
  });
  backend.handlers.set('export_meals', (args: Args) => {
    state.exported.push({ out: String(args.out), format: String(args.format) });
    return null;
  });
  return state;
}

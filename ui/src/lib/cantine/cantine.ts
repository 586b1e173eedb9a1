// Cantine meal counts: the backend's types and commands, and the keyboard moves and
// count checks of the month sheet.

import { call } from '../ipc';
import { splitList } from '../lists';

export interface CantineSite {
  id: string;
  space: string;
  name: string;
  categories: string[];
  /** Days closed by hand (school holidays), `YYYY-MM-DD`. */
  closedDays: string[];
  deleted: boolean;
  updatedAt: string;
  updatedBy: string;
}

export interface SiteInput {
  name: string;
  categories: string[];
}

export interface MealValue {
  count: number;
  author: string;
  device: string;
  at: string;
}

export interface MealCell {
  /** The count shown and added up; null when nothing was entered. */
  count: number | null;
  /** More than one: two people entered different counts offline; the first is shown. */
  values: MealValue[];
}

export interface MealDay {
  date: string;
  /** 1 for Monday … 7 for Sunday. */
  weekday: number;
  closed: '' | 'weekend' | 'holiday' | 'closed';
  /** A public holiday's name. */
  label: string;
  cells: Record<string, MealCell>;
}

export interface MealMonth {
  site: string;
  siteName: string;
  month: string;
  categories: string[];
  days: MealDay[];
  totals: Record<string, number>;
  total: number;
  conflicts: number;
}

export const DEFAULT_CATEGORIES = ['maternelle', 'élémentaire', 'adulte'];
export const COMMON_CATEGORIES = ['maternelle', 'élémentaire', 'adulte', 'sans porc', 'végétarien', 'PAI'];
/** The most meals one cell may count (the backend refuses more). */
export const MAX_COUNT = 2000;

export function listSites(space: string): Promise<CantineSite[]> {
  return call('list_cantine_sites', { space });
}

export function addSite(space: string, site: SiteInput): Promise<CantineSite> {
  return call('add_cantine_site', { space, site });
}

export function updateSite(space: string, id: string, site: SiteInput): Promise<CantineSite> {
  return call('update_cantine_site', { space, id, site });
}

export function setClosed(space: string, site: string, from: string, to: string, closed: boolean): Promise<CantineSite> {
  return call('set_cantine_closed', { space, site, from, to, closed });
}

export function mealMonth(space: string, site: string, month: string): Promise<MealMonth> {
  return call('meal_month', { space, site, month });
}

export function setMealCount(space: string, site: string, date: string, category: string, count: number): Promise<MealMonth> {
  return call('set_meal_count', { space, site, date, category, count });
}

export async function exportMeals(space: string, site: string, month: string, format: 'csv' | 'xlsx', out: string): Promise<void> {
  await call<null>('export_meals', { space, site, month, format, out });
}

/** A typed count: a whole number from 0 to MAX_COUNT, or null with why not. */
export function parseCount(text: string): { ok: true; count: number | null } | { ok: false; message: string } {
  const t = text.trim();
  if (t === '') return { ok: true, count: null };
  if (!/^\d+$/.test(t)) return { ok: false, message: 'Le nombre de repas doit être un nombre entier, sans signe.' };
  const n = Number(t);
  if (n > MAX_COUNT) return { ok: false, message: `Plus de ${MAX_COUNT} repas pour une case : vérifiez la saisie.` };
  return { ok: true, count: n };
}

/** The categories typed one per line or separated by commas, trimmed, without repeats. */
export function parseCategories(text: string): string[] {
  return splitList(text, /[\n,;]/);
}

/** `YYYY-MM` of a local date. */
export function monthOf(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** The month `delta` months from `month`. */
export function shiftMonth(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number);
  return monthOf(new Date(y, m - 1 + delta, 1));
}

const monthName = new Intl.DateTimeFormat('fr-FR', { month: 'long', year: 'numeric' });

/** `janvier 2027`. */
export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return monthName.format(new Date(y, m - 1, 1));
}

/** Where a key moves the cursor in the sheet (rows: open days; columns: categories). */
export function nextCell(
  key: string,
  shift: boolean,
  row: number,
  col: number,
  rows: number,
  cols: number,
): { row: number; col: number } | null {
  switch (key) {
    case 'Enter':
    case 'ArrowDown':
      return shift && key === 'Enter' ? (row > 0 ? { row: row - 1, col } : null) : row + 1 < rows ? { row: row + 1, col } : null;
    case 'ArrowUp':
      return row > 0 ? { row: row - 1, col } : null;
    case 'ArrowRight':
      return col + 1 < cols ? { row, col: col + 1 } : null;
    case 'ArrowLeft':
      return col > 0 ? { row, col: col - 1 } : null;
    default:
      return null;
  }
}

export const CLOSED_LABELS: Record<Exclude<MealDay['closed'], ''>, string> = {
  weekend: 'Week-end',
  holiday: 'Jour férié',
  closed: 'Fermé',
};

// The board (petites annonces): the backend's types and commands.

import { call } from '../ipc';

export type AdCategory = 'job' | 'housing' | 'equipment' | 'other';

export interface AdInput {
  category: AdCategory;
  title: string;
  description: string;
  commune: string;
  /** '' or `YYYY-MM-DD`. */
  starts: string;
  ends: string;
  contact: string;
  /** '' (in 30 days) or `YYYY-MM-DD`. */
  expires: string;
}

export interface Ad extends AdInput {
  id: string;
  space: string;
  closed: boolean;
  expired: boolean;
  authorDevice: string;
  author: string;
  mine: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AdFilter {
  category: string | null;
  commune: string | null;
  all: boolean;
}

export const listAds = (space: string, filter: AdFilter): Promise<Ad[]> => call('list_ads', { space, filter });
export const addAd = (space: string, ad: AdInput): Promise<Ad> => call('add_ad', { space, ad });
export const updateAd = (space: string, id: string, ad: AdInput): Promise<Ad> => call('update_ad', { space, id, ad });
export const closeAd = (space: string, id: string): Promise<Ad> => call('close_ad', { space, id });
export const renewAd = (space: string, id: string, days: number | null = null): Promise<Ad> => call('renew_ad', { space, id, days });

export const CATEGORY_LABELS: Record<AdCategory, string> = {
  job: 'Emploi saisonnier',
  housing: 'Logement',
  equipment: 'Matériel',
  other: 'Autre',
};

export function newAd(): AdInput {
  return { category: 'job', title: '', description: '', commune: '', starts: '', ends: '', contact: '', expires: '' };
}

export function inputOf(ad: Ad): AdInput {
  const { category, title, description, commune, starts, ends, contact, expires } = ad;
  return { category, title, description, commune, starts, ends, contact, expires };
}

/** Why the form cannot be sent (French), or none. */
export function adProblems(ad: AdInput): string[] {
  const problems: string[] = [];
  if (!ad.title.trim()) problems.push('Le titre de l’annonce est obligatoire.');
  if (ad.starts && ad.ends && ad.ends < ad.starts) problems.push('La fin doit être après le début.');
  return problems;
}

const day = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });

/** `12 janvier 2027` of a `YYYY-MM-DD`. */
export function dayLabel(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return day.format(new Date(y, m - 1, d));
}

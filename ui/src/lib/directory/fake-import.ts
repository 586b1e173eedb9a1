// The import commands for tests: files "on this computer" hold cards and problems as
// the backend would have read them; importing adds the cards, or none.

import { EMPTY_CARD, type Args, type FakeBackend } from '../fake-backend';
import type { CardImportPreview, CardInput, ImportProblem } from '../types';

export interface FakeImportFile {
  format: 'csv' | 'vcard' | null;
  cards: (Partial<CardInput> & Pick<CardInput, 'name'>)[];
  problems?: ImportProblem[];
  ignored?: string[];
}

export function installImport(backend: FakeBackend): { files: Map<string, FakeImportFile> } {
  const state = { files: new Map<string, FakeImportFile>() };
  const fold = (text: string) =>
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  const key = (c: { name: string; organisation?: string }) => `${fold(c.name)}|${fold(c.organisation ?? '')}`;

  /** The file's cards the directory does not have yet, and how many it has. */
  const read = (args: Args) => {
    const path = String(args.path ?? '').trim();
    const file = state.files.get(path);
    if (!file) throw { code: 'file_unreadable', message: `cannot read ${path}` };
    const seen = new Set(backend.cards.filter((c) => c.space === args.space && !c.deleted).map(key));
    const fresh = file.cards.filter((c) => {
      const k = key(c);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return { file, fresh, duplicates: file.cards.length - fresh.length };
  };

  backend.handlers.set('preview_card_import', (args: Args): CardImportPreview => {
    const { file, fresh, duplicates } = read(args);
    const problems = file.problems ?? [];
    return {
      format: file.format,
      cards: fresh.length,
      duplicates,
      sample: fresh.slice(0, 5).map((c): CardInput => ({ ...EMPTY_CARD, ...c, public: [...(c.public ?? [])] })),
      ignored: file.ignored ?? [],
      problems: problems.slice(0, 100),
      problemCount: problems.length,
    };
  });
  backend.handlers.set('import_cards', (args: Args) => {
    const { file, fresh, duplicates } = read(args);
    if ((file.problems ?? []).length > 0) throw { code: 'malformed_import', message: 'cannot import: line …' };
    const ids = fresh.map((c) => backend.addCardTo(String(args.space), c).id);
    return { added: ids.length, duplicates, ids };
  });
  return state;
}

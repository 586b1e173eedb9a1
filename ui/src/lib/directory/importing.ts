// Importing a directory: what each problem of a file means, in French.

import type { CardField, ImportProblem } from '../types';
import { FIELD_LABELS } from './cards';

function fieldLabel(field: string): string {
  if (field === 'notes') return 'Notes';
  return FIELD_LABELS[field as CardField] ?? field;
}

/** What is wrong, as a sentence without its line. */
function what(problem: ImportProblem): string {
  switch (problem.kind) {
    case 'empty':
      return 'le fichier ne contient aucune fiche.';
    case 'too_large':
      return `le fichier dépasse ${Math.round(problem.maxBytes / (1024 * 1024))} Mo : découpez-le en plusieurs fichiers.`;
    case 'unknown_format':
      return 'ce n’est ni un tableau CSV ni un carnet d’adresses vCard (.vcf). Depuis un tableur, enregistrez au format CSV.';
    case 'no_name_column':
      return 'aucune colonne ne donne le nom : la première ligne doit nommer les colonnes (« Nom », « Prénom », « Organisme »…).';
    case 'unclosed_quote':
      return 'des guillemets ouverts ici ne sont jamais refermés.';
    case 'too_many_cells':
      return `${problem.found} cellules, alors que la ligne des titres n’a que ${problem.expected} colonnes.`;
    case 'missing_name':
      return 'le nom manque.';
    case 'invalid_date':
      return `« ${problem.value} » n’est pas une date (JJ/MM/AAAA) pour « ${fieldLabel(problem.field)} ».`;
    case 'invalid_status':
      return `le statut « ${problem.value} » n’est ni « titulaire » ni « remplaçant ».`;
    case 'invalid_kind':
      return `le type « ${problem.value} » n’est ni une personne ni une organisation.`;
    case 'too_long':
      return `« ${fieldLabel(problem.field)} » dépasse ${problem.max.toLocaleString('fr-FR')} caractères.`;
    case 'unterminated_card':
      return 'une fiche commence ici (BEGIN:VCARD) mais ne se termine jamais (END:VCARD).';
    case 'outside_card':
      return 'cette ligne est en dehors de toute fiche (BEGIN:VCARD … END:VCARD).';
    case 'malformed_line':
      return 'cette ligne n’a pas la forme « NOM:valeur » d’un vCard.';
    case 'invalid':
      return `cette fiche n’est pas valide (${problem.detail}).`;
  }
}

/** The problem as the import dialog lists it: « Ligne 12 : le nom manque. » */
export function problemSentence(problem: ImportProblem): string {
  const text = what(problem);
  if (problem.line > 0) return `Ligne ${problem.line} : ${text}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** « 3 fiches », « 1 fiche ». */
export function cardCount(n: number): string {
  return `${n} fiche${n > 1 ? 's' : ''}`;
}

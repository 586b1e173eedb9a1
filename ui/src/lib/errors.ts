// Errors as the UI knows them: a code the backend chose, turned into a French
// sentence here. The UI branches on codes only, never on message text.

import { ERROR_CODES, type ErrorCode } from './types';

const SENTENCES: Record<ErrorCode, string> = {
  empty_title: 'Le titre est obligatoire.',
  end_before_start: 'La fin doit être après le début.',
  invalid_date: 'Une date ou une heure n’est pas valide.',
  invalid_invitation: 'Ce code d’invitation n’est pas valide. Vérifiez qu’il a été copié en entier.',
  expired_invitation: 'Ce code d’invitation a expiré. Demandez-en un nouveau à l’administrateur de l’espace.',
  already_member: 'Vous êtes déjà membre de cet espace.',
  invite_used:
    'Ce code a déjà été utilisé : chaque code ne sert qu’une fois. Demandez-en un nouveau à la personne qui vous l’a transmis.',
  invite_revoked: 'Cette invitation a été retirée par un administrateur de l’espace. Demandez-lui un nouveau code.',
  invite_dead:
    'Cette invitation n’est plus valable : la personne ou l’appareil qui l’a faite a quitté l’espace. Demandez un nouveau code à un administrateur.',
  invite_unknown:
    'Le relais ne connaît pas encore ce code : la personne qui l’a créé doit se connecter pour le transmettre. Réessayez un peu plus tard.',
  not_allowed: 'Votre rôle dans cet espace ne permet pas cette action.',
  not_member: 'Cet appareil ne fait plus partie de cet espace : un administrateur l’en a retiré.',
  last_admin:
    'Un espace doit garder au moins un administrateur : nommez-en un autre avant de retirer celui-ci ou de changer son rôle.',
  file_unreadable:
    'Ce fichier ne peut pas être lu : vérifiez qu’il existe encore et que vous avez le droit de l’ouvrir. Rien n’a été ajouté.',
  file_unwritable:
    'Le fichier ne peut pas être enregistré à cet endroit : dossier absent, disque plein ou nom refusé par le système. Choisissez un autre emplacement.',
  cannot_open:
    'Par sécurité, Bastide n’ouvre que les documents, textes et images. Enregistrez une copie de ce fichier et ouvrez-la vous-même si vous lui faites confiance.',
  disk_full:
    'Le disque de cet ordinateur est plein : rien n’a été enregistré. Libérez de la place (corbeille, téléchargements) puis recommencez.',
  malformed_import:
    'Ce fichier ne peut pas être importé tel quel : corrigez les lignes signalées puis recommencez. Rien n’a été importé.',
  booking_conflict:
    'Ce créneau est déjà réservé pour cette ressource. Choisissez une autre heure ou une autre ressource ; rien n’a été enregistré.',
  booking_too_long: 'Cette réservation dépasse la durée maximale autorisée pour cette ressource.',
  invalid_count: 'Le nombre de repas doit être un nombre entier entre 0 et 2 000.',
  poll_no_option: 'Un sondage doit proposer au moins un choix.',
  poll_closed: 'Ce sondage est clos (ou pas encore ouvert) : le vote n’est pas possible.',
  relay_unreachable:
    'Le relais ne répond pas. Vérifiez son adresse et votre connexion ; vos modifications restent enregistrées sur cet ordinateur.',
  certificate_mismatch:
    'Le relais ne présente pas le certificat attendu. Par sécurité, la connexion a été refusée : contactez l’administrateur.',
  relay_refused:
    'Le relais a refusé l’accès à cet espace : le code d’invitation est peut-être erroné ou révoqué. Contactez l’administrateur de l’espace.',
  relay_busy:
    'Le relais est très sollicité en ce moment : l’envoi reprendra tout seul dans un instant. Vos modifications restent enregistrées sur cet ordinateur.',
  relay_full:
    'Cet espace a atteint la place que son relais lui accorde : les nouveaux changements restent sur cet ordinateur. Demandez à l’administrateur du relais d’augmenter la limite ou de faire du tri.',
  token_required:
    'Ce relais demande un jeton d’accès pour créer un espace. Demandez-le à l’administrateur du relais et saisissez-le dans le champ « Jeton d’accès ».',
  token_refused:
    'Ce jeton d’accès n’est pas valable : il est inconnu, déjà utilisé, retiré ou expiré. Demandez-en un nouveau à l’administrateur du relais.',
  not_found: 'Élément introuvable. Il a peut-être été supprimé entre-temps.',
  invalid_input: 'Certaines informations saisies ne sont pas valides.',
  internal: 'Une erreur inattendue s’est produite. Réessayez ; si elle persiste, contactez l’assistance.',
};

/** The French sentence shown for an error code. */
export function errorSentence(code: ErrorCode): string {
  return SENTENCES[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** A failed command: the backend's code plus its technical (English) detail. */
export class BastideError extends Error {
  readonly code: ErrorCode;
  /** The backend's message, for the small print and the logs. */
  readonly detail: string;

  constructor(code: ErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'BastideError';
    this.code = code;
    this.detail = detail;
  }

  /** What to show the user. */
  get sentence(): string {
    return errorSentence(this.code);
  }

  /** Turns whatever a rejected `invoke` gave into a BastideError. */
  static from(raw: unknown): BastideError {
    if (raw instanceof BastideError) return raw;
    if (typeof raw === 'object' && raw !== null && 'code' in raw) {
      const { code, message } = raw as { code: unknown; message?: unknown };
      const detail = typeof message === 'string' ? message : '';
      if (isErrorCode(code)) return new BastideError(code, detail);
      return new BastideError('internal', `unknown error code ${String(code)}: ${detail}`);
    }
    if (raw instanceof Error) return new BastideError('internal', raw.message);
    if (typeof raw === 'string') return new BastideError('internal', raw);
    return new BastideError('internal', 'unexpected rejection: ' + safeJson(raw));
  }
}

/**
 * The sentence for a sync status `lastError`, which is either a code or a
 * technical sentence from the backend.
 */
export function syncErrorSentence(lastError: string): string {
  return isErrorCode(lastError) ? errorSentence(lastError) : lastError;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

import { describe, expect, it } from 'vitest';
import { BastideError, errorSentence, syncErrorSentence } from './errors';
import { ERROR_CODES } from './types';

describe('BastideError.from', () => {
  it('keeps the code and the detail of a backend rejection', () => {
    const e = BastideError.from({ code: 'relay_unreachable', message: 'connect 10.0.0.1:4433: timed out' });
    expect(e).toBeInstanceOf(BastideError);
    expect(e.code).toBe('relay_unreachable');
    expect(e.detail).toBe('connect 10.0.0.1:4433: timed out');
    expect(e.sentence).toMatch(/relais ne répond pas/);
  });

  it('treats an unknown code as internal, so the UI never shows an untranslated code', () => {
    const e = BastideError.from({ code: 'disk_on_fire', message: 'smoke' });
    expect(e.code).toBe('internal');
    expect(e.detail).toContain('disk_on_fire');
  });

  it('accepts the plain strings and Errors that Tauri itself may reject with', () => {
    expect(BastideError.from('command list_spaces not found').code).toBe('internal');
    expect(BastideError.from(new Error('boom')).detail).toBe('boom');
    expect(BastideError.from(undefined).code).toBe('internal');
  });

  it('returns the same error when given a BastideError', () => {
    const e = new BastideError('not_found', 'x');
    expect(BastideError.from(e)).toBe(e);
  });
});

describe('sentences', () => {
  it('has a French sentence for every code', () => {
    for (const code of ERROR_CODES) {
      const sentence = errorSentence(code);
      expect(sentence, code).toMatch(/^[A-ZÉ].+\.$/);
      expect(sentence, code).not.toContain(code);
    }
  });

  it('says which relay limit stopped a request, and what happens to the changes', () => {
    expect(errorSentence('relay_busy')).toContain('reprendra tout seul');
    expect(errorSentence('relay_full')).toContain('restent sur cet ordinateur');
    expect(errorSentence('token_required')).toContain('jeton d’accès');
    expect(errorSentence('token_refused')).toContain('n’est pas valable');
    expect(errorSentence('cannot_open')).toContain('Enregistrez une copie');
  });

  it('explains the membership refusals', () => {
    expect(errorSentence('invite_used')).toContain('déjà été utilisé');
    expect(errorSentence('invite_revoked')).toContain('retirée par un administrateur');
    expect(errorSentence('invite_unknown')).toContain('ne connaît pas encore ce code');
    expect(errorSentence('not_allowed')).toBe('Votre rôle dans cet espace ne permet pas cette action.');
    expect(errorSentence('not_member')).toContain('ne fait plus partie de cet espace');
    expect(errorSentence('last_admin')).toContain('au moins un administrateur');
    expect(BastideError.from({ code: 'last_admin', message: 'x' }).code).toBe('last_admin');
  });

  it('knows every code the backend sends, each with its own sentence', () => {
    const sent = [
      'empty_title', 'end_before_start', 'invalid_date', 'invalid_invitation', 'expired_invitation',
      'already_member', 'invite_used', 'invite_revoked', 'invite_dead', 'invite_unknown', 'not_allowed', 'not_member',
      'last_admin', 'file_unreadable', 'file_unwritable', 'disk_full', 'malformed_import', 'booking_conflict',
      'booking_too_long', 'invalid_count', 'poll_no_option', 'poll_closed', 'relay_unreachable', 'certificate_mismatch', 'relay_refused', 'not_found',
      'invalid_input', 'internal', 'cannot_open', 'relay_busy', 'relay_full', 'token_required', 'token_refused',
    ];
    expect([...ERROR_CODES].sort()).toEqual([...sent].sort());
    expect(new Set(ERROR_CODES.map(errorSentence)).size).toBe(ERROR_CODES.length);
  });

  it('translates a sync lastError that is a code, and keeps any other text', () => {
    expect(syncErrorSentence('certificate_mismatch')).toBe(errorSentence('certificate_mismatch'));
    expect(syncErrorSentence('connection reset')).toBe('connection reset');
  });
});

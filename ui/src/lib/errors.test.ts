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

  it('translates a sync lastError that is a code, and keeps any other text', () => {
    expect(syncErrorSentence('certificate_mismatch')).toBe(errorSentence('certificate_mismatch'));
    expect(syncErrorSentence('connection reset')).toBe('connection reset');
  });
});

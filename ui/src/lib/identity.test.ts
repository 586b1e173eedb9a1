import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDENTITY_KEY, readIdentity, rememberIdentity, trimIdentity } from './identity';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('identity', () => {
  it('is empty when nothing was remembered', () => {
    expect(readIdentity()).toEqual({ name: '', organisation: '', function: '' });
  });

  it('remembers the three fields and reads them back', () => {
    rememberIdentity({ name: 'Claire Martin', organisation: 'Pays de la Bastide', function: 'Chargée de mission' });
    expect(JSON.parse(localStorage.getItem(IDENTITY_KEY)!)).toEqual({
      name: 'Claire Martin',
      organisation: 'Pays de la Bastide',
      function: 'Chargée de mission',
    });
    expect(readIdentity()).toEqual({ name: 'Claire Martin', organisation: 'Pays de la Bastide', function: 'Chargée de mission' });
  });

  it('reads what the join dialog stored before this module existed', () => {
    localStorage.setItem('bastide.identity', '{"name":"Alix Durand","organisation":"Commune de Lavaur","function":"Maire"}');
    expect(readIdentity()).toEqual({ name: 'Alix Durand', organisation: 'Commune de Lavaur', function: 'Maire' });
  });

  it('ignores what it cannot read: bad JSON, other shapes, fields that are not text', () => {
    for (const saved of ['{not json', '"Claire"', '42', 'null', '[]']) {
      localStorage.setItem(IDENTITY_KEY, saved);
      expect(readIdentity(), saved).toEqual({ name: '', organisation: '', function: '' });
    }
    localStorage.setItem(IDENTITY_KEY, '{"name":"Claire Martin","organisation":3,"function":null}');
    expect(readIdentity()).toEqual({ name: 'Claire Martin', organisation: '', function: '' });
  });

  it('does not fail when storage is unavailable', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new Error('SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new Error('QuotaExceededError');
    });
    expect(() => rememberIdentity({ name: 'Claire Martin', organisation: '', function: '' })).not.toThrow();
    expect(readIdentity()).toEqual({ name: '', organisation: '', function: '' });
  });

  it('trims each field', () => {
    expect(trimIdentity({ name: '  Claire Martin ', organisation: ' Pays ', function: '\tMaire\n' })).toEqual({
      name: 'Claire Martin',
      organisation: 'Pays',
      function: 'Maire',
    });
  });
});

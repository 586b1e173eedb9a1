import { describe, expect, it } from 'vitest';
import { groupFingerprint, relayParts } from './relay';

const FP = 'ba01b7e4a21014b95a529157980dc81c1c0832a76bda9e8fc0d028bb935fbfbf';

describe('relayParts', () => {
  it('splits host:port from the certificate fingerprint', () => {
    expect(relayParts(`quic://127.0.0.1:55568#${FP}`)).toEqual({ hostPort: '127.0.0.1:55568', fingerprint: FP });
    expect(relayParts(`quic://relais.pays-exemple.fr:4433#${FP.toUpperCase()}`)).toEqual({
      hostPort: 'relais.pays-exemple.fr:4433',
      fingerprint: FP,
    });
  });

  it('keeps the brackets of an IPv6 host', () => {
    expect(relayParts(`quic://[::1]:4433#${FP}`).hostPort).toBe('[::1]:4433');
  });

  it('returns any other text whole, trimmed', () => {
    expect(relayParts('quic://relais:4433')).toEqual({ hostPort: 'relais:4433', fingerprint: null });
    expect(relayParts(' relais.test:4433 ')).toEqual({ hostPort: 'relais.test:4433', fingerprint: null });
    expect(relayParts('quic://relais:4433#not-hex')).toEqual({ hostPort: 'quic://relais:4433#not-hex', fingerprint: null });
  });
});

describe('groupFingerprint', () => {
  it('groups by four characters', () => {
    expect(groupFingerprint('ba01b7e4a2')).toBe('ba01 b7e4 a2');
    expect(groupFingerprint('')).toBe('');
  });
});

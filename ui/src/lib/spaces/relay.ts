// Relay addresses as the backend stores them: `quic://HOST:PORT#FINGERPRINT`, where
// FINGERPRINT is the 64 hex characters of the relay certificate's SHA-256 (see
// proto/src/relay_addr.rs). People recognise a relay by its host and port; the
// fingerprint matters only to compare it by hand, so screens show it on demand.

export interface RelayParts {
  /** `HOST:PORT` as written (an IPv6 host keeps its brackets). */
  hostPort: string;
  /** The certificate fingerprint, lowercase hex, or null if the address has none. */
  fingerprint: string | null;
}

/**
 * Splits a relay address into what people read (`HOST:PORT`) and the pinned
 * fingerprint. An address of another shape is returned whole as `hostPort`, so
 * nothing is ever hidden by a parse that went wrong.
 */
export function relayParts(address: string): RelayParts {
  const text = address.trim();
  const match = /^quic:\/\/([^#\s]+)#([0-9a-fA-F]+)$/.exec(text);
  if (match) return { hostPort: match[1], fingerprint: match[2].toLowerCase() };
  const bare = /^quic:\/\/([^#\s]+)$/.exec(text);
  if (bare) return { hostPort: bare[1], fingerprint: null };
  return { hostPort: text, fingerprint: null };
}

/** The fingerprint in groups of four, easier to read aloud and compare. */
export function groupFingerprint(fingerprint: string): string {
  return fingerprint.match(/.{1,4}/g)?.join(' ') ?? fingerprint;
}

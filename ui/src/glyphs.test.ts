// The window is drawn with the system's fonts; on Debian the fallback is DejaVu Sans,
// which has no emoji and few symbols (a "⧉" on a sidebar button showed as an empty
// box). Every character the UI's sources write must come from the blocks below, all
// of which DejaVu Sans covers.
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob(['./**/*.svelte', './**/*.ts', './**/*.css', '!./**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** Latin-1, Latin Extended-A, general punctuation, the euro sign, arrows, minus. */
const ALLOWED = /[\u0000-\u017f\u2000-\u2064\u20ac\u2190-\u21ff\u2212]/u;

describe('glyphs', () => {
  it('reads the sources', () => {
    expect(Object.keys(sources)).toContain('./App.svelte');
    expect(Object.keys(sources)).not.toContain('./glyphs.test.ts');
  });

  it('uses only characters DejaVu Sans has (no emoji, no fullwidth or rare symbols)', () => {
    const found: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      for (const [index, line] of text.split('\n').entries()) {
        for (const char of line) {
          if (!ALLOWED.test(char)) {
            const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
            found.push(`${file}:${index + 1}: « ${char} » U+${code}`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });
});

// Lists typed in one field (categories, people, poll options).

/** The items of `text` cut at `separators`, trimmed, without blanks or repeats. */
export function splitList(text: string, separators: RegExp): string[] {
  const out: string[] = [];
  for (const part of text.split(separators)) {
    const item = part.trim();
    if (item && !out.includes(item)) out.push(item);
  }
  return out;
}

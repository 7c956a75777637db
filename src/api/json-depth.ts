// Nesting depth of a JSON text, found by one scan that skips strings: a 100,000-deep array is
// refused before JSON.parse or JSON.stringify recurse over it (a stack overflow would be a 500).

/** Records are flat objects (an array of them is depth 2); anything this deep is not a record. */
export const MAX_JSON_DEPTH = 32;

/** True when some bracket nesting in `text` goes deeper than `max`. Malformed text is left to JSON.parse. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = stringEnd(text, i);
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Index of the quote closing the string opened at `open` (text.length when unterminated). */
function stringEnd(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return text.length;
    // The quote is escaped when an odd number of backslashes precede it.
    let b = q - 1;
    while (text.charCodeAt(b) === 92) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

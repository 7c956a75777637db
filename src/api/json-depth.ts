// Nesting depth of a JSON text, found by one scan that skips strings: a 100,000-deep array is
// refused before JSON.parse or JSON.stringify recurse over it (a stack overflow would be a 500).

/** Records are flat objects (an array of them is depth 2); anything this deep is not a record. */
export const MAX_JSON_DEPTH = 32;

/** True when some bracket nesting in `text` goes deeper than `max`. Malformed text is left to JSON.parse. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

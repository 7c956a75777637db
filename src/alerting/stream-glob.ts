// Stream key globs: `*` and `?` stay within one `/` segment, `**` crosses segments. Matched by
// stepping the set of glob positions over the key (an NFA), so a match costs at most
// key length × glob length steps whatever the pattern: a regular expression with many stars
// backtracks exponentially (`a/*a*a*a*a*a*ab` against a long run of a's froze the daemon).

export interface StreamGlob {
  /** True when the whole key matches. */
  test(key: string): boolean;
}

const LITERAL = 0;
const ONE = 1; // ?
const STAR = 2; // * (one segment)
const GLOBSTAR = 3; // ** (any characters)

/** Counts the work of test(): one step per live glob position per key character (for tests). */
export interface GlobWork {
  steps: number;
}

export function compileGlob(glob: string, work?: GlobWork): StreamGlob {
  const kinds: number[] = [];
  const chars: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      kinds.push(GLOBSTAR);
      i++;
    } else kinds.push(c === '*' ? STAR : c === '?' ? ONE : LITERAL);
    chars.push(glob.charCodeAt(i));
  }
  const m = kinds.length;
  const kind = Uint8Array.from(kinds);
  const code = Uint16Array.from(chars);
  let now = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  /** Adds position i and every position reachable from it by an empty star. */
  const enter = (set: Uint8Array, from: number): void => {
    let i = from;
    set[i] = 1;
    while (i < m && (kind[i] === STAR || kind[i] === GLOBSTAR)) set[++i] = 1;
  };
  return {
    test(key: string): boolean {
      now.fill(0);
      enter(now, 0);
      for (let p = 0; p < key.length; p++) {
        const c = key.charCodeAt(p);
        next.fill(0);
        let any = false;
        for (let i = 0; i < m; i++) {
          if (now[i] === 0) continue;
          if (work !== undefined) work.steps++;
          const k = kind[i];
          if (k === GLOBSTAR || (k === STAR && c !== 47)) {
            enter(next, i);
            any = true;
          } else if ((k === ONE && c !== 47) || (k === LITERAL && c === code[i])) {
            enter(next, i + 1);
            any = true;
          }
        }
        if (!any) return false;
        const t = now;
        now = next;
        next = t;
      }
      return now[m] === 1;
    },
  };
}

// One problem found in a pipeline file, with its place: `file:line:col path: message (hint)`.

export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Data path, e.g. `pipelines[0].model.units`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
}

export function formatIssue(i: ConfigIssue): string {
  const where = `${i.file}:${i.line}:${i.col}`;
  const path = i.path === '' ? '(document)' : i.path;
  return `${where} ${path}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Edit distance, for "did you mean" hints on misspelt keys and values. */
export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const prefix = candidates.find((c) => c.length >= 4 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)));
  if (prefix !== undefined && lower.length >= 4) return prefix;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

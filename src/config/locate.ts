import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

// Finds where a data path sits in the YAML source, so that each error points at its line and column.

export interface Located {
  readonly line: number;
  readonly col: number;
  /** True when the path itself was found (not just a parent). */
  readonly exact: boolean;
}

/**
 * The value node at `path` (or, with `keyOf`, the key node of its last segment); falls back to the
 * deepest parent present in the file, e.g. for a missing required key.
 */
export function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[], keyOf = false): Located {
  let node: unknown = doc.contents;
  let at: Node | null | undefined = doc.contents;
  let exact = true;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) {
        exact = false;
        break;
      }
      node = pair.value;
      at = keyOf && last ? (pair.key as Node) : ((pair.value as Node | null) ?? (pair.key as Node));
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      at = node as Node;
    } else {
      exact = false;
      break;
    }
  }
  const offset = at?.range?.[0] ?? 0;
  const pos = lc.linePos(offset);
  return { line: pos.line, col: pos.col, exact };
}

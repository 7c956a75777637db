import type { StreamKey } from '../core/types.js';

// The streams index's entries, (pipeline, key) pairs sorted in code-unit order, kept in blocks of a
// few thousand: adding one entry moves one block and a few offsets, not a million-entry array, so
// refreshing the index after a few new streams costs what changed. Positions are global (0..length).

const BLOCK = 2048;

/** (pipeline, key) order by code units: cheap, and stable across processes and locales. */
export function before(p1: string, k1: string, p2: string, k2: string): boolean {
  return p1 < p2 || (p1 === p2 && k1 < k2);
}

export class SortedBlocks {
  private keys: StreamKey[][] = [];
  private pipes: string[][] = [];
  /** Global position of each block's first entry; starts[blocks] = length. */
  private starts: number[] = [0];

  /** From entries already sorted (keys[i] belongs to pipelines[i]). */
  static fromSorted(keys: readonly StreamKey[], pipelines: readonly string[]): SortedBlocks {
    const s = new SortedBlocks();
    for (let i = 0; i < keys.length; i += BLOCK) {
      s.keys.push(keys.slice(i, i + BLOCK));
      s.pipes.push(pipelines.slice(i, i + BLOCK));
    }
    s.reindex(0);
    return s;
  }

  get length(): number {
    return this.starts[this.starts.length - 1];
  }

  /**
   * The first position whose entry satisfies `after` (false for every entry before it, true from it
   * on), or length: a binary search over the blocks' last entries, then within one block.
   */
  firstWhere(after: (pipeline: string, key: StreamKey) => boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const n = this.keys[mid].length;
      if (after(this.pipes[mid][n - 1], this.keys[mid][n - 1])) hi = mid;
      else lo = mid + 1;
    }
    if (lo === this.keys.length) return this.length;
    const ks = this.keys[lo];
    const ps = this.pipes[lo];
    let a = 0;
    let b = ks.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (after(ps[mid], ks[mid])) b = mid;
      else a = mid + 1;
    }
    return this.starts[lo] + a;
  }

  /**
   * Calls f for positions from..end-1 in order until it returns false; returns the position after the
   * last entry f was called for.
   */
  scan(from: number, end: number, f: (key: StreamKey, pipeline: string) => boolean): number {
    if (from >= end) return from;
    let b = this.blockOf(from);
    let i = from;
    while (i < end && b < this.keys.length) {
      const ks = this.keys[b];
      const ps = this.pipes[b];
      for (let o = i - this.starts[b]; o < ks.length && i < end; o++) {
        i++;
        if (!f(ks[o], ps[o])) return i;
      }
      b++;
    }
    return i;
  }

  /** Adds an entry in order; false when it is there already. */
  insert(pipeline: string, key: StreamKey): boolean {
    const at = this.firstWhere((p, k) => !before(p, k, pipeline, key)); // first entry >= (pipeline, key)
    if (this.keys.length === 0) {
      this.keys.push([key]);
      this.pipes.push([pipeline]);
      this.reindex(0);
      return true;
    }
    const b = at === this.length ? this.keys.length - 1 : this.blockOf(at);
    const o = at - this.starts[b];
    if (o < this.keys[b].length && this.keys[b][o] === key && this.pipes[b][o] === pipeline) return false;
    this.keys[b].splice(o, 0, key);
    this.pipes[b].splice(o, 0, pipeline);
    if (this.keys[b].length > 2 * BLOCK) {
      // Split the grown block in two.
      this.keys.splice(b + 1, 0, this.keys[b].splice(BLOCK));
      this.pipes.splice(b + 1, 0, this.pipes[b].splice(BLOCK));
      this.starts.splice(b + 1, 0, 0);
    }
    this.reindex(b);
    return true;
  }

  /** The block holding position i (0 <= i < length). */
  private blockOf(i: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Recomputes the block offsets from block b on. */
  private reindex(b: number): void {
    this.starts.length = this.keys.length + 1;
    if (b === 0) this.starts[0] = 0;
    for (let i = b; i < this.keys.length; i++) this.starts[i + 1] = this.starts[i] + this.keys[i].length;
  }
}

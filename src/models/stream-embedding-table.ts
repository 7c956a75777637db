import { bytesFromBase64, toBase64 } from '../core/base64.js';

// Per-stream embeddings for a new stream's cold start (model.cold_start_neighbours) and the
// dashboard's map. A fitted stream's embedding is the recurrent state the model reaches after
// reading the stream's fit window: the model's own summary of that stream's dynamics. A new stream
// knows only its key when its first step comes, so its neighbours are the fitted streams whose keys
// share the most path segments with it (the same metric at other sites, the same site's other
// metrics), nearest first; it starts from the mean of their embeddings instead of from zeros.
// A stream that was fitted starts from its own. Fixed after the fit (and kept with the weights in
// checkpoints), so the start of a stream does not depend on batching or on what else has run.

export interface SerializedEmbeddings {
  readonly keys: readonly string[];
  readonly dims: number;
  /** base64 little-endian float32, keys.length × dims. */
  readonly data: string;
}

export class StreamEmbeddingTable {
  private readonly index = new Map<string, number>();
  private readonly segments: string[][];

  constructor(
    readonly keys: readonly string[],
    readonly dims: number,
    /** keys.length × dims */
    readonly data: Float32Array,
  ) {
    if (data.length !== keys.length * dims) throw new RangeError(`embeddings hold ${data.length} floats, expected ${keys.length}×${dims}`);
    keys.forEach((k, i) => {
      this.index.set(k, i);
    });
    this.segments = keys.map((k) => k.split('/'));
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The stream's start: its own embedding if it was fitted, else the mean of the `k` fitted streams
   * whose keys are nearest (shared path segments, the same position from the end counting double;
   * ties in key order). Returns the neighbours used.
   */
  coldStart(key: string, k: number, out: Float32Array, outOff = 0): number[] {
    const own = this.index.get(key);
    const picks = own !== undefined ? [own] : this.nearestByKey(key, k);
    const d = this.dims;
    out.fill(0, outOff, outOff + d);
    for (const s of picks) for (let j = 0; j < d; j++) out[outOff + j] += this.data[s * d + j] / picks.length;
    return picks;
  }

  nearestByKey(key: string, k: number): number[] {
    const mine = key.split('/');
    const scored = this.segments.map((seg, i) => ({ i, score: similarity(mine, seg) }));
    scored.sort((a, b) => b.score - a.score || a.i - b.i);
    return scored.slice(0, Math.min(k, scored.length)).map((s) => s.i);
  }

  toJSON(): SerializedEmbeddings {
    return { keys: [...this.keys], dims: this.dims, data: toBase64(this.data) };
  }

  static fromJSON(s: SerializedEmbeddings): StreamEmbeddingTable {
    const bytes = bytesFromBase64(s.data);
    const data = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(data.buffer).set(bytes);
    return new StreamEmbeddingTable(s.keys, s.dims, data);
  }
}

function similarity(a: readonly string[], b: readonly string[]): number {
  let score = 0;
  for (let i = 1; i <= Math.min(a.length, b.length); i++) if (a[a.length - i] === b[b.length - i]) score += 2;
  const set = new Set(b);
  for (const s of a) if (set.has(s)) score += 1;
  return score;
}

import { bytesFromBase64, toBase64 } from '../core/base64.js';
import { normalised } from '../engine/features.js';
import { Prng } from '../training/prng.js';

// Bounded per-stream memory of what the live model saw: for each stream a ring of its last
// `capacity` steps (model input row, value, normaliser mean/std, flags, the live one-step forecast).
// Training windows are cut from it with the engine's targets (per horizon h, the value h steps
// ahead normalised at the forecast step, minus the current one), so the trainer learns exactly the
// task the live model performs. Pushing allocates nothing once a stream's ring exists.

const IMPUTED = 1;
const RESET = 2;

export interface ReplayOptions {
  readonly inputSize: number;
  readonly horizon: number;
  /** Steps kept per stream. */
  readonly capacity: number;
  /** Streams kept; new streams beyond it are counted, not stored. */
  readonly maxStreams: number;
}

/** Training windows, time-major, the most recent step last; transferable as two buffers. */
export interface Windows {
  readonly steps: number;
  readonly batch: number;
  /** steps × batch × inputSize */
  readonly inputs: Float32Array;
  /** steps × batch × horizon; NaN = no target */
  readonly targets: Float32Array;
  /** Event times covered (ms) and the streams sampled. */
  readonly from: number;
  readonly to: number;
  readonly streams: readonly string[];
}

/** ReplayBuffer.snapshot(): every ring's arrays as base64 (little-endian), in insertion order. */
export interface BufferSnapshot {
  readonly capacity: number;
  readonly inputSize: number;
  readonly totalSteps: number;
  readonly dropped: number;
  readonly streams: readonly {
    readonly key: string;
    readonly count: number;
    readonly x: string;
    readonly t: string;
    readonly value: string;
    readonly mean: string;
    readonly std: string;
    readonly flags: string;
    readonly pred: string;
  }[];
}

class StreamRing {
  /** Steps pushed in total; the ring holds the last min(count, capacity). */
  count = 0;
  readonly x: Float32Array;
  readonly t: Float64Array;
  readonly value: Float64Array;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly flags: Uint8Array;
  /** The live one-step forecast made at each step (normalised change), for the drift error. */
  readonly pred: Float32Array;

  constructor(
    readonly capacity: number,
    inputSize: number,
  ) {
    this.x = new Float32Array(capacity * inputSize);
    this.t = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.mean = new Float64Array(capacity);
    this.std = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.pred = new Float32Array(capacity);
  }

  get length(): number {
    return Math.min(this.count, this.capacity);
  }

  /** Ring index of the k-th oldest held step. */
  at(k: number): number {
    return (this.count - this.length + k) % this.capacity;
  }
}

export class ReplayBuffer {
  readonly options: ReplayOptions;
  private readonly rings = new Map<string, StreamRing>();
  /** Steps accepted over all streams. */
  totalSteps = 0;
  /** Steps not kept: stream over maxStreams, or non-finite inputs. */
  dropped = 0;

  constructor(options: ReplayOptions) {
    this.options = options;
  }

  get streamCount(): number {
    return this.rings.size;
  }

  keys(): IterableIterator<string> {
    return this.rings.keys();
  }

  /** Steps pushed for the stream in total (not only those held). */
  countOf(key: string): number {
    return this.rings.get(key)?.count ?? 0;
  }

  stepsOf(key: string): number {
    return this.rings.get(key)?.length ?? 0;
  }

  forget(key: string): void {
    this.rings.delete(key);
  }

  /** Everything held, for a checkpoint (event-time retraining restarts where it stopped). */
  snapshot(): BufferSnapshot {
    const streams = [...this.rings.entries()].map(([key, r]) => ({
      key,
      count: r.count,
      x: toBase64(r.x),
      t: toBase64(r.t),
      value: toBase64(r.value),
      mean: toBase64(r.mean),
      std: toBase64(r.std),
      flags: toBase64(r.flags),
      pred: toBase64(r.pred),
    }));
    return {
      capacity: this.options.capacity,
      inputSize: this.options.inputSize,
      totalSteps: this.totalSteps,
      dropped: this.dropped,
      streams,
    };
  }

  /** Replaces the contents with a snapshot's; throws when it was taken with other shapes. */
  restore(s: BufferSnapshot): void {
    if (s.capacity !== this.options.capacity || s.inputSize !== this.options.inputSize) {
      throw new RangeError(
        `replay buffer snapshot holds ${s.capacity} steps of ${s.inputSize} inputs, this buffer ${this.options.capacity} of ${this.options.inputSize}`,
      );
    }
    this.rings.clear();
    for (const st of s.streams) {
      const r = new StreamRing(s.capacity, s.inputSize);
      r.count = st.count;
      r.x.set(new Float32Array(bytesFromBase64(st.x).slice().buffer));
      r.t.set(new Float64Array(bytesFromBase64(st.t).slice().buffer));
      r.value.set(new Float64Array(bytesFromBase64(st.value).slice().buffer));
      r.mean.set(new Float64Array(bytesFromBase64(st.mean).slice().buffer));
      r.std.set(new Float64Array(bytesFromBase64(st.std).slice().buffer));
      r.flags.set(bytesFromBase64(st.flags));
      r.pred.set(new Float32Array(bytesFromBase64(st.pred).slice().buffer));
      this.rings.set(st.key, r);
    }
    this.totalSteps = s.totalSteps;
    this.dropped = s.dropped;
  }

  /**
   * Records one live step. Returns the squared one-step error of the forecast made at the
   * stream's previous step (normalised units), or NaN when there is none to score.
   */
  push(
    key: string,
    t: number,
    x: Float32Array,
    xOff: number,
    value: number,
    mean: number,
    std: number,
    imputed: boolean,
    reset: boolean,
    pred: number,
  ): number {
    const inSize = this.options.inputSize;
    for (let j = 0; j < inSize; j++) {
      const v = x[xOff + j];
      if (v - v !== 0) {
        this.dropped++;
        return NaN;
      }
    }
    let r = this.rings.get(key);
    if (r === undefined) {
      if (this.rings.size >= this.options.maxStreams) {
        this.dropped++;
        return NaN;
      }
      r = new StreamRing(this.options.capacity, inSize);
      this.rings.set(key, r);
    }
    let err = NaN;
    if (r.length > 0 && !imputed && !reset) {
      const p = r.at(r.length - 1);
      const target = normalised(value, r.mean[p], r.std[p]) - normalised(r.value[p], r.mean[p], r.std[p]);
      const e = target - r.pred[p];
      if (Number.isFinite(e)) err = e * e;
    }
    const i = r.count % r.capacity;
    // A plain copy rather than set(subarray(..)): no view object per step on the hot path.
    const to = i * inSize;
    for (let j = 0; j < inSize; j++) r.x[to + j] = x[xOff + j];
    r.t[i] = t;
    r.value[i] = value;
    r.mean[i] = mean;
    r.std[i] = std;
    r.flags[i] = (imputed ? IMPUTED : 0) | (reset ? RESET : 0);
    r.pred[i] = pred;
    r.count++;
    this.totalSteps++;
    return err;
  }

  /** The stream's last n input rows, oldest first, written at `into[0..]`; returns how many. */
  lastInputs(key: string, n: number, into: Float32Array): number {
    const r = this.rings.get(key);
    if (r === undefined) return 0;
    const inSize = this.options.inputSize;
    const k = Math.min(n, r.length);
    for (let j = 0; j < k; j++) {
      const i = r.at(r.length - k + j);
      into.set(r.x.subarray(i * inSize, (i + 1) * inSize), j * inSize);
    }
    return k;
  }

  /**
   * The last `steps` steps of up to `maxBatch` streams having at least `minSteps`, each stream
   * equally likely whatever its rate (fair sampling). Shorter streams are aligned to the end and
   * padded at the start with zero inputs and no targets. Undefined when no stream qualifies.
   */
  sample(steps: number, maxBatch: number, minSteps: number, seed: number): Windows | undefined {
    const eligible = [...this.rings.entries()].filter(([, r]) => r.length >= minSteps);
    if (eligible.length === 0) return undefined;
    const rng = new Prng(seed);
    for (let i = eligible.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [eligible[i], eligible[j]] = [eligible[j], eligible[i]];
    }
    const chosen = eligible.slice(0, maxBatch).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const N = Math.min(steps, Math.max(...chosen.map(([, r]) => r.length)));
    const B = chosen.length;
    const inSize = this.options.inputSize;
    const H = this.options.horizon;
    const inputs = new Float32Array(N * B * inSize);
    const targets = new Float32Array(N * B * H).fill(NaN);
    let from = Infinity,
      to = -Infinity;
    chosen.forEach(([, r], b) => {
      const n = Math.min(N, r.length);
      const pad = N - n;
      const first = r.length - n;
      from = Math.min(from, r.t[r.at(first)]);
      to = Math.max(to, r.t[r.at(r.length - 1)]);
      for (let k = 0; k < n; k++) {
        const i = r.at(first + k);
        const row = (pad + k) * B + b;
        inputs.set(r.x.subarray(i * inSize, (i + 1) * inSize), row * inSize);
        const z = normalised(r.value[i], r.mean[i], r.std[i]);
        for (let h = 1; h <= H && k + h < n; h++) {
          const a = r.at(first + k + h);
          if (r.flags[a] !== 0) break;
          targets[row * H + h - 1] = normalised(r.value[a], r.mean[i], r.std[i]) - z;
        }
      }
    });
    return { steps: N, batch: B, inputs, targets, from, to, streams: chosen.map(([k]) => k) };
  }
}

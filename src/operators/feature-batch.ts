import type { FeatureStep } from './feature-step.js';

// Ready steps packed for the model's batched step: row i of every array is one stream's step.
// Filling copies the processor's reused view into flat arrays, so no per-step objects are made.

export interface FeatureBatch {
  readonly size: number;
  readonly width: number;
  readonly keys: readonly string[];
  /** [size] step times. */
  readonly t: Float64Array;
  /** [size × width] feature vectors, row-major: the model's input. */
  readonly x: Float32Array;
  /** [size × targets] observed normalised targets (NaN where imputed). */
  readonly target: Float64Array;
  /** [size × fields] imputed flags. */
  readonly imputed: Uint8Array;
  /** [size] 1 where the stream's recurrent state must be reset first. */
  readonly broken: Uint8Array;
}

export class FeatureBatcher {
  private keys: string[] = [];
  private readonly present = new Set<string>();
  private t!: Float64Array;
  private x!: Float32Array;
  private target!: Float64Array;
  private imputed!: Uint8Array;
  private broken!: Uint8Array;

  constructor(
    readonly maxBatch: number,
    readonly width: number,
    private readonly targets: number,
    private readonly fields: number,
  ) {
    this.fresh();
  }

  get size(): number {
    return this.keys.length;
  }

  /** A stream may appear once per batch: its next step needs the state this one produces. */
  has(key: string): boolean {
    return this.present.has(key);
  }

  /** Appends a copy of the step; the caller takes the batch first when full or `has(key)`. */
  add(s: FeatureStep): void {
    const i = this.keys.length;
    this.keys.push(s.key);
    this.present.add(s.key);
    this.t[i] = s.t;
    this.x.set(s.x, i * this.width);
    this.target.set(s.target, i * this.targets);
    this.imputed.set(s.imputed, i * this.fields);
    this.broken[i] = s.broken ? 1 : 0;
  }

  /** The batch so far (arrays trimmed to its size), or null when empty; starts a new one. */
  take(): FeatureBatch | null {
    const n = this.keys.length;
    if (n === 0) return null;
    const b: FeatureBatch = {
      size: n,
      width: this.width,
      keys: this.keys,
      t: this.t.subarray(0, n),
      x: this.x.subarray(0, n * this.width),
      target: this.target.subarray(0, n * this.targets),
      imputed: this.imputed.subarray(0, n * this.fields),
      broken: this.broken.subarray(0, n),
    };
    this.fresh();
    return b;
  }

  private fresh(): void {
    const m = this.maxBatch;
    this.keys = [];
    this.present.clear();
    this.t = new Float64Array(m);
    this.x = new Float32Array(m * this.width);
    this.target = new Float64Array(m * this.targets);
    this.imputed = new Uint8Array(m * this.fields);
    this.broken = new Uint8Array(m);
  }
}

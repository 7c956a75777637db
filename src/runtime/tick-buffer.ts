import { grownTo } from './grow.js';

// The grid steps produced by one ingested batch, in emission order, with their model inputs.
// Reused between batches; grows by doubling.

export class TickBuffer {
  count = 0;
  slot = new Int32Array(0);
  t = new Float64Array(0);
  value = new Float64Array(0);
  imputed = new Uint8Array(0);
  reset = new Uint8Array(0);
  mean = new Float64Array(0);
  std = new Float64Array(0);
  /** Per step: how many earlier steps of the same stream this batch holds (its model round). */
  round = new Int32Array(0);
  /** Steps the normaliser has seen for the stream, this one included. */
  seen = new Float64Array(0);
  x = new Float32Array(0);

  constructor(readonly inputSize: number) {}

  /** Appends a step and returns its index; the caller writes its inputs at index·inputSize. */
  add(slot: number, t: number, value: number, imputed: boolean, reset: boolean, mean: number, std: number, round: number, seen: number): number {
    const i = this.count++;
    if (this.slot.length < this.count) this.grow();
    this.slot[i] = slot;
    this.t[i] = t;
    this.value[i] = value;
    this.imputed[i] = imputed ? 1 : 0;
    this.reset[i] = reset ? 1 : 0;
    this.mean[i] = mean;
    this.std[i] = std;
    this.round[i] = round;
    this.seen[i] = seen;
    return i;
  }

  private grow(): void {
    const n = Math.max(64, this.count * 2);
    this.slot = grownTo(this.slot, n);
    this.t = grownTo(this.t, n);
    this.value = grownTo(this.value, n);
    this.imputed = grownTo(this.imputed, n);
    this.reset = grownTo(this.reset, n);
    this.mean = grownTo(this.mean, n);
    this.std = grownTo(this.std, n);
    this.round = grownTo(this.round, n);
    this.seen = grownTo(this.seen, n);
    this.x = grownTo(this.x, n * this.inputSize);
  }
}

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
  /** Per step: how many earlier steps of the same stream this batch holds (its model round). */
  round = new Int32Array(0);
  /** Steps the normaliser has seen for the stream, this one included. */
  seen = new Float64Array(0);
  /** The forecast field's level (value, or its log under a log transform): the model forecasts changes of it. */
  level = new Float64Array(0);
  /** The field's normaliser after the step (StreamProcessor.centreScale): the unit of those changes. */
  centre = new Float64Array(0);
  scale = new Float64Array(0);
  x = new Float32Array(0);

  constructor(readonly inputSize: number) {}

  /** Appends a step and returns its index; the caller writes its inputs at index·inputSize. */
  add(slot: number, t: number, value: number, imputed: boolean, reset: boolean, round: number, seen: number): number {
    const i = this.count++;
    if (this.slot.length < this.count) this.grow();
    this.slot[i] = slot;
    this.t[i] = t;
    this.value[i] = value;
    this.imputed[i] = imputed ? 1 : 0;
    this.reset[i] = reset ? 1 : 0;
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
    this.round = grownTo(this.round, n);
    this.seen = grownTo(this.seen, n);
    this.level = grownTo(this.level, n);
    this.centre = grownTo(this.centre, n);
    this.scale = grownTo(this.scale, n);
    this.x = grownTo(this.x, n * this.inputSize);
  }
}

import type { StackedModel } from './stacked-model.js';
import type { StateArena } from './state-arena.js';
import { planeToRows, rowsToPlane } from './state-layout.js';

// Advances any subset of streams by one step: gathers their states from the arena, runs the
// layers and the head for the whole batch, scatters the new states back. All scratch is sized
// for `maxBatch` up front; larger calls run in chunks. Slots in one call must be distinct.
// A row whose inputs are not all finite is rejected: its state is left as it was and its output
// row is NaN; step() returns how many were rejected so the caller can count and dead-letter them.

export class BatchedStepper {
  readonly model: StackedModel;
  readonly arena: StateArena;
  readonly maxBatch: number;
  private readonly x: Float32Array;
  private readonly hIn: Float32Array[];
  private readonly cIn: Float32Array[];
  private readonly hOut: Float32Array[];
  private readonly cOut: Float32Array[];
  private readonly pre: Float32Array[];
  private readonly cache: Float32Array[];
  private readonly scratch: Float32Array[];
  private readonly y: Float32Array;
  private readonly rejected: Uint8Array;

  constructor(model: StackedModel, arena: StateArena, maxBatch = 1024) {
    if (arena.stateSize !== model.stateSize) {
      throw new RangeError(`arena rows hold ${arena.stateSize} floats, the model needs ${model.stateSize}`);
    }
    const k = model.kernels;
    this.model = model;
    this.arena = arena;
    this.maxBatch = maxBatch;
    this.x = k.alloc(maxBatch * model.config.inputSize);
    const cells = model.cells;
    this.hIn = cells.map((c) => k.alloc(maxBatch * c.units));
    this.cIn = cells.map((c) => k.alloc(c.hasCellState ? maxBatch * c.units : 0));
    this.hOut = cells.map((c) => k.alloc(maxBatch * c.units));
    this.cOut = cells.map((c) => k.alloc(c.hasCellState ? maxBatch * c.units : 0));
    this.pre = cells.map((c) => k.alloc(maxBatch * c.gateWidth));
    this.cache = cells.map((c) => k.alloc(maxBatch * c.cacheWidth));
    this.scratch = cells.map((c) => k.alloc(c.forwardScratchSize(maxBatch)));
    this.y = k.alloc(maxBatch * model.outputWidth);
    this.rejected = new Uint8Array(maxBatch);
  }

  /**
   * inputs: count×inputSize; out: count×horizon×outputSize×2 (mean, log-variance), written from 0.
   */
  step(slots: Int32Array, count: number, inputs: Float32Array, out: Float32Array): number {
    const m = this.model;
    const inSize = m.config.inputSize;
    const w = m.outputWidth;
    if (count > slots.length || inputs.length < count * inSize || out.length < count * w) {
      throw new RangeError(
        `step of ${count} streams needs ${count} slots, ${count * inSize} inputs and ${count * w} outputs; got ${slots.length}, ${inputs.length}, ${out.length}`,
      );
    }
    let rejected = 0;
    for (let start = 0; start < count; start += this.maxBatch) {
      rejected += this.stepChunk(slots, start, Math.min(this.maxBatch, count - start), inputs, out);
    }
    return rejected;
  }

  private stepChunk(slots: Int32Array, start: number, n: number, inputs: Float32Array, out: Float32Array): number {
    const m = this.model;
    const k = m.kernels;
    const inSize = m.config.inputSize;
    const x = this.x;
    const xBase = start * inSize;
    let rejected = 0;
    for (let i = 0; i < n; i++) {
      let ok = 1;
      for (let j = 0; j < inSize; j++) {
        const v = inputs[xBase + i * inSize + j];
        x[i * inSize + j] = v;
        if (v - v !== 0) ok = 0; // NaN or ±Infinity
      }
      this.rejected[i] = 1 - ok;
      rejected += 1 - ok;
    }
    const data = this.arena.data;
    const stride = m.stateSize;
    let layerIn = x;
    let layerInSize = inSize;
    for (let l = 0; l < m.cells.length; l++) {
      const cell = m.cells[l];
      const lay = m.stateLayout[l];
      const u = cell.units;
      rowsToPlane(data, slots, start, n, stride, lay.hOffset, u, this.hIn[l], 0);
      if (lay.cOffset >= 0) rowsToPlane(data, slots, start, n, stride, lay.cOffset, u, this.cIn[l], 0);
      k.gemm(n, cell.gateWidth, layerInSize, layerIn, 0, cell.kernel, 0, this.pre[l], 0, 0);
      cell.forward(
        k,
        n,
        this.pre[l],
        0,
        this.hIn[l],
        0,
        this.cIn[l],
        0,
        this.hOut[l],
        0,
        this.cOut[l],
        0,
        this.cache[l],
        0,
        this.scratch[l],
      );
      if (rejected > 0) this.keepRejected(l, n, u, lay.cOffset >= 0);
      planeToRows(this.hOut[l], 0, u, data, slots, start, n, stride, lay.hOffset);
      if (lay.cOffset >= 0) planeToRows(this.cOut[l], 0, u, data, slots, start, n, stride, lay.cOffset);
      layerIn = this.hOut[l];
      layerInSize = u;
    }
    m.head(n, layerIn, 0, this.y, 0);
    const w = m.outputWidth;
    const yBase = start * w;
    for (let i = 0; i < n * w; i++) out[yBase + i] = this.rejected[(i / w) | 0] === 1 ? NaN : this.y[i];
    return rejected;
  }

  /** Rejected rows write back their old state (which is also what the layer above sees). */
  private keepRejected(l: number, n: number, u: number, hasC: boolean): void {
    const hIn = this.hIn[l],
      hOut = this.hOut[l],
      cIn = this.cIn[l],
      cOut = this.cOut[l];
    for (let i = 0; i < n; i++) {
      if (this.rejected[i] === 0) continue;
      for (let j = 0; j < u; j++) {
        hOut[i * u + j] = hIn[i * u + j];
        if (hasC) cOut[i * u + j] = cIn[i * u + j];
      }
    }
  }
}

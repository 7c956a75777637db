import type { LayerTape } from '../models/cell-config.js';
import type { StackedModel } from '../models/stacked-model.js';
import { planeToRows, rowsToPlane } from '../models/state-layout.js';
import type { Prng } from './prng.js';

// Forward over a window of T steps for B streams keeping what backpropagation needs, and the
// backward pass through time. Buffers are sized once for (maxSteps, maxBatch) and reused.

/** A layer's tape, filled in place by each forward (no allocation per window). */
type MutableTape = { -readonly [K in keyof LayerTape]: LayerTape[K] };

interface LayerBuffers {
  readonly x: Float32Array; // layer input copy (layer 0, or dropout-masked input)
  readonly mask: Float32Array; // dropout mask, layers > 0
  readonly h: Float32Array;
  readonly c: Float32Array;
  readonly pre: Float32Array;
  readonly cache: Float32Array;
  readonly dA: Float32Array;
  readonly dAr: Float32Array;
  readonly dH: Float32Array;
  readonly fwdScratch: Float32Array;
  readonly bwdScratch: Float32Array;
}

export class SequenceRunner {
  readonly model: StackedModel;
  readonly maxSteps: number;
  readonly maxBatch: number;
  /** Head outputs of the last forward, T×B×outputWidth. */
  readonly outputs: Float32Array;
  private readonly layers: LayerBuffers[];
  private readonly tapes: MutableTape[];
  private T = 0;
  private B = 0;
  private masked = false;

  constructor(model: StackedModel, maxSteps: number, maxBatch: number) {
    this.model = model;
    this.maxSteps = maxSteps;
    this.maxBatch = maxBatch;
    const k = model.kernels;
    const rows = maxSteps * maxBatch;
    this.layers = model.cells.map((cell, l) => {
      const u = cell.units;
      return {
        x: k.alloc(l === 0 || model.dropout > 0 ? rows * cell.inputSize : 0),
        mask: new Float32Array(l > 0 && model.dropout > 0 ? rows * cell.inputSize : 0),
        h: k.alloc((maxSteps + 1) * maxBatch * u),
        c: k.alloc(cell.hasCellState ? (maxSteps + 1) * maxBatch * u : 0),
        pre: k.alloc(rows * cell.gateWidth),
        cache: k.alloc(rows * cell.cacheWidth),
        dA: k.alloc(rows * cell.gateWidth),
        dAr: cell.recWidth > 0 ? k.alloc(rows * cell.recWidth) : new Float32Array(0),
        dH: k.alloc(rows * u),
        fwdScratch: k.alloc(cell.forwardScratchSize(maxBatch)),
        bwdScratch: k.alloc(cell.backwardScratchSize(maxBatch)),
      };
    });
    this.outputs = k.alloc(rows * model.outputWidth);
    this.tapes = model.cells.map((cell, l) => {
      const buf = this.layers[l];
      return {
        T: 0,
        B: 0,
        x: buf.x,
        xOff: 0,
        h: buf.h,
        c: buf.c,
        pre: buf.pre,
        cache: buf.cache,
        dA: buf.dA,
        dAr: cell.recWidth > 0 ? buf.dAr : buf.dA,
        scratch: buf.bwdScratch,
      };
    });
  }

  /** Sets h_0 (and c_0) of every layer from state rows (B×stateSize, arena layout). */
  setInitialState(rows: Float32Array, batch: number): void {
    const m = this.model;
    for (let l = 0; l < m.cells.length; l++) {
      const lay = m.stateLayout[l];
      const u = m.cells[l].units;
      rowsToPlane(rows, null, 0, batch, m.stateSize, lay.hOffset, u, this.layers[l].h, 0);
      if (lay.cOffset >= 0) rowsToPlane(rows, null, 0, batch, m.stateSize, lay.cOffset, u, this.layers[l].c, 0);
    }
  }

  /** Sets h_0 (and c_0) of every layer to zero. */
  resetInitialState(batch: number): void {
    this.model.cells.forEach((cell, l) => {
      this.layers[l].h.fill(0, 0, batch * cell.units);
      this.layers[l].c.fill(0, 0, cell.hasCellState ? batch * cell.units : 0);
    });
  }

  /** Writes the state after `step` steps (0..T) of the last forward into rows (B×stateSize). */
  getState(step: number, rows: Float32Array): void {
    const m = this.model;
    const B = this.B;
    for (let l = 0; l < m.cells.length; l++) {
      const lay = m.stateLayout[l];
      const u = m.cells[l].units;
      const off = step * B * u;
      planeToRows(this.layers[l].h, off, u, rows, null, 0, B, m.stateSize, lay.hOffset);
      if (lay.cOffset >= 0) planeToRows(this.layers[l].c, off, u, rows, null, 0, B, m.stateSize, lay.cOffset);
    }
  }

  /** inputs: T×B×inputSize from inOff. Returns the head outputs (T×B×outputWidth). */
  forward(T: number, B: number, inputs: Float32Array, inOff: number, training: boolean, rng?: Prng): Float32Array {
    if (T > this.maxSteps || B > this.maxBatch) throw new RangeError(`window ${T}×${B} exceeds ${this.maxSteps}×${this.maxBatch}`);
    const m = this.model;
    const k = m.kernels;
    this.T = T;
    this.B = B;
    const rows = T * B;
    const p = m.dropout;
    this.masked = training && p > 0;
    for (let l = 0; l < m.cells.length; l++) {
      const cell = m.cells[l];
      const buf = this.layers[l];
      let x: Float32Array, xOff: number;
      if (l === 0) {
        const n = rows * cell.inputSize;
        for (let i = 0; i < n; i++) buf.x[i] = inputs[inOff + i];
        x = buf.x;
        xOff = 0;
      } else {
        const below = this.layers[l - 1].h;
        const offBelow = B * cell.inputSize;
        if (training && p > 0) {
          if (rng === undefined) throw new Error('dropout in training needs a Prng');
          const n = rows * cell.inputSize;
          const keep = 1 / (1 - p);
          for (let i = 0; i < n; i++) {
            const mk = rng.next() < p ? 0 : keep;
            buf.mask[i] = mk;
            buf.x[i] = below[offBelow + i] * mk;
          }
          x = buf.x;
          xOff = 0;
        } else {
          x = below;
          xOff = offBelow;
        }
      }
      k.gemm(rows, cell.gateWidth, cell.inputSize, x, xOff, cell.kernel, 0, buf.pre, 0, 0);
      const u = cell.units;
      for (let t = 0; t < T; t++) {
        cell.forward(
          k,
          B,
          buf.pre,
          t * B * cell.gateWidth,
          buf.h,
          t * B * u,
          buf.c,
          t * B * u,
          buf.h,
          (t + 1) * B * u,
          buf.c,
          (t + 1) * B * u,
          buf.cache,
          t * B * cell.cacheWidth,
          buf.fwdScratch,
        );
      }
      const tape = this.tapes[l];
      tape.T = T;
      tape.B = B;
      tape.x = x;
      tape.xOff = xOff;
    }
    const top = m.cells.length - 1;
    m.head(rows, this.layers[top].h, B * m.cells[top].units, this.outputs, 0);
    return this.outputs;
  }

  /**
   * Backpropagates dLoss/dOutputs (T×B×outputWidth) of the last forward into the params' grads;
   * writes dLoss/dInputs (T×B×inputSize) into dInput when given.
   */
  backward(dOut: Float32Array, dInput: Float32Array | null = null): void {
    const m = this.model;
    const k = m.kernels;
    const { T, B } = this;
    const rows = T * B;
    const L = m.cells.length;
    const topUnits = m.cells[L - 1].units;
    const w = m.outputWidth;
    k.gemmTransA(topUnits, w, rows, this.layers[L - 1].h, B * topUnits, dOut, 0, m.headKernel.grad, 0, 1);
    k.addColumnSums(rows, w, dOut, 0, m.headBias.grad, 0);
    k.gemmTransB(rows, topUnits, w, dOut, 0, m.headKernel.data, 0, this.layers[L - 1].dH, 0, 0);
    for (let l = L - 1; l >= 0; l--) {
      const below = l > 0 ? this.layers[l - 1].dH : dInput;
      m.cells[l].backward(k, this.tapes[l], this.layers[l].dH, below);
      if (l > 0 && below !== null && this.masked) {
        const mask = this.layers[l].mask;
        const n = rows * m.cells[l].inputSize;
        for (let i = 0; i < n; i++) below[i] *= mask[i];
      }
    }
  }
}

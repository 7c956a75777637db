import { Seq2SeqRunner } from '../training/seq2seq-runner.js';
import { initialiseSeq2Seq, Seq2SeqModel } from './seq2seq-model.js';
import type { StateArena } from './state-arena.js';

// Online inference of the encoder-decoder for the engine (model.decoder: seq2seq). A stream's state
// row is its last W feature vectors, oldest first (zeros before the stream's first step, as after a
// reset): exactly the window the offline fit trains on, so what is served is what was fitted. Each
// step shifts the new features in and runs the encoder over the window and the decoder over the
// horizon for the whole batch. Outputs use the stacked model's layout (per horizon: change of the
// normalised level from now, log-variance), so the emitter and the hybrid readouts take them as
// they take the direct head's. The model is non-relative and its base is 0: the decoder feeds back
// its own predicted change. Buffers are sized for maxBatch; larger calls run in chunks.

export class Seq2SeqStepper {
  readonly stateSize: number;
  readonly outputWidth: number;
  private readonly runner: Seq2SeqRunner;
  private readonly window: Float32Array; // W × n × inputSize, time-major
  private readonly zeros: Float32Array;
  private readonly rows: Int32Array; // valid row indices of a chunk

  constructor(
    readonly model: Seq2SeqModel,
    readonly windowSteps: number,
    readonly maxBatch: number,
  ) {
    if (model.relative) throw new RangeError('the engine feeds feature vectors: the seq2seq model must be non-relative');
    this.stateSize = windowSteps * model.config.inputSize;
    this.outputWidth = model.config.horizon * 2;
    this.runner = new Seq2SeqRunner(model, windowSteps, maxBatch);
    this.window = new Float32Array(this.stateSize * maxBatch);
    this.zeros = new Float32Array(maxBatch);
    this.rows = new Int32Array(maxBatch);
  }

  /**
   * inputs count×inputSize; out count×horizon×2. A row with a non-finite input is rejected: its
   * state is kept and its output is NaN. Returns the number rejected.
   */
  step(arena: StateArena, slots: Int32Array, count: number, inputs: Float32Array, out: Float32Array): number {
    let rejected = 0;
    for (let start = 0; start < count; start += this.maxBatch)
      rejected += this.stepChunk(arena, slots, start, Math.min(this.maxBatch, count - start), inputs, out);
    return rejected;
  }

  private stepChunk(arena: StateArena, slots: Int32Array, start: number, n: number, inputs: Float32Array, out: Float32Array): number {
    const inSize = this.model.config.inputSize;
    const W = this.windowSteps;
    const S = this.stateSize;
    const w = this.outputWidth;
    const data = arena.data;
    let m = 0;
    for (let r = start; r < start + n; r++) {
      let ok = true;
      for (let j = 0; j < inSize; j++) {
        const v = inputs[r * inSize + j];
        if (v - v !== 0) ok = false; // NaN or ±Infinity
      }
      if (!ok) {
        out.fill(NaN, r * w, (r + 1) * w);
        continue;
      }
      const row = slots[r] * S;
      data.copyWithin(row, row + inSize, row + S);
      for (let j = 0; j < inSize; j++) data[row + S - inSize + j] = inputs[r * inSize + j];
      for (let t = 0; t < W; t++) {
        for (let j = 0; j < inSize; j++) this.window[(t * n + m) * inSize + j] = data[row + t * inSize + j];
      }
      this.rows[m++] = r;
    }
    if (m < n) {
      // Compact the window to the m valid rows (it was written with stride n).
      for (let t = 0; t < W; t++) this.window.copyWithin(t * m * inSize, t * n * inSize, (t * n + m) * inSize);
    }
    if (m === 0) return n;
    const y = this.runner.forward(W, m, this.window, 0, this.zeros);
    const H = this.model.config.horizon;
    for (let i = 0; i < m; i++) {
      const o = this.rows[i] * w;
      for (let h = 0; h < H; h++) {
        out[o + 2 * h] = y[(h * m + i) * 2];
        out[o + 2 * h + 1] = y[(h * m + i) * 2 + 1];
      }
    }
    return n - m;
  }
}

/** The engine's seq2seq: seeded Keras-default init with a zero head (a persistence forecast until fitted). */
export function createSeq2SeqStepper(
  cell: 'lstm' | 'gru',
  inputSize: number,
  units: number,
  horizon: number,
  windowSteps: number,
  seed: number,
  maxBatch: number,
): Seq2SeqStepper {
  const model = new Seq2SeqModel({ kind: cell, inputSize, units, horizon, relative: false, seed });
  initialiseSeq2Seq(model, seed);
  model.headKernel.data.fill(0);
  model.headBias.data.fill(0);
  return new Seq2SeqStepper(model, windowSteps, maxBatch);
}

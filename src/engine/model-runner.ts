import { ESN_DEFAULTS } from '../config/esn-section.js';
import type { ModelSection } from '../config/sections.js';
import { initialiseEchoState } from '../models/esn-init.js';
import { BatchedStepper } from '../models/batched-stepper.js';
import { fastStepSpec } from '../models/fast-step-spec.js';
import { createSeq2SeqStepper, type Seq2SeqStepper } from '../models/seq2seq-stepper.js';
import type { FastStepper } from '../models/kernels/step-layout.js';
import { createFastStepper } from '../models/kernels/step-wasm.js';
import { fastestKernels } from '../models/kernels/fastest-kernels.js';
import { StackedModel } from '../models/stacked-model.js';
import { StateArena } from '../models/state-arena.js';
import { StreamEmbeddingTable, type SerializedEmbeddings } from '../models/stream-embedding-table.js';
import { initialiseWeights } from '../training/init.js';
import { bytesFromBase64, toBase64 } from '../core/base64.js';
import { TidecastError } from '../core/errors.js';

// The pipeline's model and its per-stream recurrent states. The model forecasts, per horizon h, the
// change of the normalised target from the current step and its log-variance; an untrained model
// (seeded init with a zero head) is therefore a persistence forecast with unit normalised variance.
//
// Steps run on the fused stepper (native AVX-512 addon when built, else WASM SIMD, else portable TS;
// all give the same bits) over the arena's rows in place. It holds a packed copy of the weights,
// built at the first step after any change that goes through this class (construction, swap,
// importWeights, a new version after training in place); a model it cannot run (relu or linear
// activations) steps on BatchedStepper. Rows with a non-finite input are rejected as
// BatchedStepper does: state kept, output row NaN.

export interface SerializedWeights {
  readonly version: string;
  /** One base64 little-endian float32 array per parameter, in params() order. */
  readonly params: readonly { readonly name: string; readonly data: string }[];
  /** model.cold_start_neighbours: the fitted streams' embeddings (absent: none). */
  readonly embeddings?: SerializedEmbeddings;
}

export class ModelRunner {
  readonly arena: StateArena;
  /** model.decoder seq2seq: the encoder-decoder that serves instead of the stacked model (whose arena rows are its windows). */
  readonly seq2seq: Seq2SeqStepper | null;
  /** model.cold_start_neighbours: the fitted streams' embeddings a new (or restarted) stream starts from. */
  embeddings: StreamEmbeddingTable | null = null;
  private current: StackedModel;
  private currentVersion: string;
  private stepper: BatchedStepper;
  /** undefined: to be built at the next step; null: the model needs BatchedStepper. */
  private fused: FastStepper | null | undefined;
  // Chunk buffers for calls over maxBatch rows or with rejected rows (compacted valid rows).
  private readonly chunkSlots: Int32Array;
  private readonly chunkX: Float32Array;
  private readonly chunkY: Float32Array;
  private readonly chunkRow: Int32Array;

  constructor(
    readonly spec: ModelSection,
    readonly inputSize: number,
    readonly maxBatch = 256,
  ) {
    const esn = spec.cell === 'esn' ? (spec.esn ?? ESN_DEFAULTS) : undefined;
    const model = new StackedModel(
      {
        kind: spec.cell,
        inputSize,
        units: spec.units,
        layers: spec.layers,
        horizon: spec.horizon,
        outputSize: 1,
        seed: spec.seed,
        ...(esn === undefined ? {} : { leakRate: esn.leak_rate }),
      },
      fastestKernels(),
    );
    // An ESN's reservoir is its own fixed random init (esn-init.ts); the readout is fitted later.
    if (esn !== undefined)
      initialiseEchoState(
        model,
        { spectralRadius: esn.spectral_radius, inputScaling: esn.input_scaling, sparsity: esn.sparsity },
        spec.seed,
      );
    else initialiseWeights(model, spec.seed);
    model.headKernel.data.fill(0);
    model.headBias.data.fill(0);
    this.current = model;
    const cell = spec.cell;
    this.seq2seq =
      spec.decoder === 'seq2seq' && (cell === 'lstm' || cell === 'gru')
        ? createSeq2SeqStepper(cell, inputSize, spec.units, spec.horizon, spec.encoder_window_steps, spec.seed, maxBatch)
        : null;
    this.currentVersion = `${this.seq2seq === null ? '' : 'seq2seq-'}${spec.cell}-init-s${spec.seed}`;
    this.arena = new StateArena(this.seq2seq?.stateSize ?? model.stateSize, 64);
    // With seq2seq the stacked model never steps: its stepper gets an arena of its own shape.
    this.stepper = new BatchedStepper(model, this.seq2seq === null ? this.arena : new StateArena(model.stateSize, 1), maxBatch);
    this.chunkSlots = new Int32Array(maxBatch);
    this.chunkX = new Float32Array(maxBatch * inputSize);
    this.chunkY = new Float32Array(maxBatch * model.outputWidth);
    this.chunkRow = new Int32Array(maxBatch);
  }

  get model(): StackedModel {
    return this.current;
  }

  get version(): string {
    return this.currentVersion;
  }

  /** A new version names new weights (offline fit trains the model in place, then sets it). */
  set version(v: string) {
    this.currentVersion = v;
    this.fused = undefined;
  }

  /** Engine the steps run on: 'native', 'wasm', 'portable' or 'batched' (BatchedStepper). */
  get engine(): string {
    if (this.seq2seq !== null) return 'seq2seq';
    const fused = this.fusedStepper();
    return fused === null ? 'batched' : fused.backend;
  }

  /** Call after editing the model's weights in place other than through this class. */
  weightsChanged(): void {
    this.fused = undefined;
  }

  get outputWidth(): number {
    return this.model.outputWidth;
  }

  slotOf(key: string): number {
    return this.arena.slotOf(key);
  }

  /**
   * A stream's state at its first step or after a break: zeros, or with cold start
   * (model.cold_start_neighbours > 0 and fitted embeddings) its own embedding if it was fitted, else
   * the mean of its nearest fitted streams' (stream-embedding-table.ts).
   */
  resetState(slot: number): void {
    this.arena.reset(slot);
    const k = this.spec.cold_start_neighbours;
    const table = this.embeddings;
    const key = this.arena.keyOf(slot);
    if (k > 0 && table !== null && key !== undefined && table.dims === this.arena.stateSize)
      table.coldStart(key, k, this.arena.data, slot * this.arena.stateSize);
  }

  /**
   * Up to `limit` streams' keys and state rows (the stream embeddings' map), in key order. With
   * seq2seq a row is a window of feature vectors: only the newest is given (the map's PCA stays small).
   */
  stateRows(limit: number): { keys: string[]; dims: number; rows: Float32Array } {
    const keys = [...this.arena.keys()].map(String).sort().slice(0, limit);
    const S = this.arena.stateSize;
    const d = this.seq2seq === null ? S : this.inputSize;
    const rows = new Float32Array(keys.length * d);
    keys.forEach((k, i) => {
      const slot = this.arena.peek(k as Parameters<StateArena['peek']>[0]);
      rows.set(this.arena.data.subarray((slot + 1) * S - d, (slot + 1) * S), i * d);
    });
    return { keys, dims: d, rows };
  }

  /** Steps `count` distinct slots: inputs count×inputSize, out count×horizon×2 (delta mean, log-variance). */
  step(slots: Int32Array, count: number, inputs: Float32Array, out: Float32Array): void {
    if (this.seq2seq !== null) {
      this.seq2seq.step(this.arena, slots, count, inputs, out);
      return;
    }
    const fused = this.fusedStepper();
    if (fused === null) {
      this.stepper.step(slots, count, inputs, out);
      return;
    }
    const inSize = this.inputSize;
    const w = this.outputWidth;
    if (count > slots.length || inputs.length < count * inSize || out.length < count * w) {
      throw new RangeError(
        `step of ${count} streams needs ${count} slots, ${count * inSize} inputs and ${count * w} outputs; got ${slots.length}, ${inputs.length}, ${out.length}`,
      );
    }
    if (count <= this.maxBatch && allFinite(inputs, count * inSize)) {
      fused.step(slots, count, inputs, this.arena.data, out);
      return;
    }
    for (let start = 0; start < count; start += this.maxBatch)
      this.stepChunk(fused, slots, start, Math.min(this.maxBatch, count - start), inputs, out);
  }

  /** Rows start..start+n-1: valid rows compacted into the chunk buffers, rejected rows NaN. */
  private stepChunk(fused: FastStepper, slots: Int32Array, start: number, n: number, inputs: Float32Array, out: Float32Array): void {
    const inSize = this.inputSize;
    const w = this.outputWidth;
    const { chunkSlots, chunkX, chunkY, chunkRow } = this;
    let m = 0;
    for (let r = start; r < start + n; r++) {
      const from = r * inSize;
      let ok = true;
      for (let j = 0; j < inSize; j++) {
        const v = inputs[from + j];
        chunkX[m * inSize + j] = v;
        if (v - v !== 0) ok = false; // NaN or ±Infinity
      }
      if (ok) {
        chunkSlots[m] = slots[r];
        chunkRow[m] = r;
        m++;
      } else out.fill(NaN, r * w, (r + 1) * w);
    }
    if (m === 0) return;
    fused.step(chunkSlots, m, chunkX, this.arena.data, chunkY);
    for (let i = 0; i < m; i++) {
      const to = chunkRow[i] * w;
      for (let j = 0; j < w; j++) out[to + j] = chunkY[i * w + j];
    }
  }

  private fusedStepper(): FastStepper | null {
    if (this.fused === undefined) {
      try {
        // Calls never exceed maxBatch rows (batching.max_batch), so every engine is sized for that.
        this.fused = createFastStepper(fastStepSpec(this.current), this.maxBatch);
      } catch (err) {
        if (!(err instanceof TidecastError)) throw err;
        this.fused = null; // activations the fused step does not have (relu, linear)
      }
    }
    return this.fused;
  }

  /** Online-learning hook: swaps in new weights between steps; stream states stay put. */
  swap(model: StackedModel, version: string): void {
    if (this.seq2seq !== null)
      throw new TidecastError(
        'A seq2seq pipeline serves its encoder-decoder: a stacked model cannot be swapped in.',
        'schema_mismatch',
        false,
      );
    if (model.stateSize !== this.model.stateSize || model.config.inputSize !== this.inputSize) {
      throw new TidecastError(`Model ${version} does not fit the running model's shapes.`, 'schema_mismatch', false);
    }
    this.current = model;
    this.version = version;
    this.stepper = new BatchedStepper(model, this.arena, this.maxBatch);
  }

  exportWeights(): SerializedWeights {
    return {
      version: this.version,
      params: this.params().map((p) => ({ name: p.name, data: toBase64(p.data) })),
      ...(this.embeddings === null ? {} : { embeddings: this.embeddings.toJSON() }),
    };
  }

  importWeights(w: SerializedWeights): void {
    const params = this.params();
    if (params.length !== w.params.length)
      throw new TidecastError(`Checkpointed model has ${w.params.length} parameters, expected ${params.length}.`, 'state_corrupt', false);
    params.forEach((p, i) => {
      const bytes = bytesFromBase64(w.params[i].data);
      if (w.params[i].name !== p.name || bytes.byteLength !== p.data.byteLength) {
        throw new TidecastError(
          `Checkpointed parameter ${w.params[i].name} does not match ${p.name} [${p.shape.join('×')}].`,
          'state_corrupt',
          false,
        );
      }
      new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength).set(bytes);
    });
    this.version = w.version;
    this.embeddings = w.embeddings === undefined ? null : StreamEmbeddingTable.fromJSON(w.embeddings);
  }

  /** The weights that serve: the encoder-decoder's with model.decoder seq2seq, else the stacked model's. */
  private params() {
    return this.seq2seq?.model.params() ?? this.model.params();
  }
}

function allFinite(a: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}

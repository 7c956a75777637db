import type { ModelSection } from '../config/sections.js';
import { BatchedStepper } from '../models/batched-stepper.js';
import { StackedModel } from '../models/stacked-model.js';
import { StateArena } from '../models/state-arena.js';
import { initialiseWeights } from '../training/init.js';
import { TidecastError } from '../core/errors.js';

// The pipeline's model and its per-stream recurrent states. The model forecasts, per horizon h, the
// change of the normalised target from the current step and its log-variance; an untrained model
// (seeded init with a zero head) is therefore a persistence forecast with unit normalised variance.

export interface SerializedWeights {
  readonly version: string;
  /** One base64 little-endian float32 array per parameter, in params() order. */
  readonly params: readonly { readonly name: string; readonly data: string }[];
}

export class ModelRunner {
  readonly arena: StateArena;
  model: StackedModel;
  version: string;
  private stepper: StackedModelStepper;

  constructor(readonly spec: ModelSection, readonly inputSize: number, readonly maxBatch = 256) {
    this.model = new StackedModel({
      kind: spec.cell, inputSize, units: spec.units, layers: spec.layers, horizon: spec.horizon, outputSize: 1, seed: spec.seed,
    });
    initialiseWeights(this.model, spec.seed);
    this.model.headKernel.data.fill(0);
    this.model.headBias.data.fill(0);
    this.version = `${spec.cell}-init-s${spec.seed}`;
    this.arena = new StateArena(this.model.stateSize, 64);
    this.stepper = new BatchedStepper(this.model, this.arena, maxBatch);
  }

  get outputWidth(): number {
    return this.model.outputWidth;
  }

  slotOf(key: string): number {
    return this.arena.slotOf(key);
  }

  /** Steps `count` distinct slots: inputs count×inputSize, out count×horizon×2 (delta mean, log-variance). */
  step(slots: Int32Array, count: number, inputs: Float32Array, out: Float32Array): void {
    this.stepper.step(slots, count, inputs, out);
  }

  /** Online-learning hook: swaps in new weights between steps; stream states stay put. */
  swap(model: StackedModel, version: string): void {
    if (model.stateSize !== this.model.stateSize || model.config.inputSize !== this.inputSize) {
      throw new TidecastError(`Model ${version} does not fit the running model's shapes.`, 'schema_mismatch', false);
    }
    this.model = model;
    this.version = version;
    this.stepper = new BatchedStepper(model, this.arena, this.maxBatch);
  }

  exportWeights(): SerializedWeights {
    return {
      version: this.version,
      params: this.model.params().map((p) => ({ name: p.name, data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('base64') })),
    };
  }

  importWeights(w: SerializedWeights): void {
    const params = this.model.params();
    if (params.length !== w.params.length) throw new TidecastError(`Checkpointed model has ${w.params.length} parameters, expected ${params.length}.`, 'state_corrupt', false);
    params.forEach((p, i) => {
      const bytes = Buffer.from(w.params[i].data, 'base64');
      if (w.params[i].name !== p.name || bytes.byteLength !== p.data.byteLength) {
        throw new TidecastError(`Checkpointed parameter ${w.params[i].name} does not match ${p.name} [${p.shape.join('×')}].`, 'state_corrupt', false);
      }
      new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength).set(bytes);
    });
    this.version = w.version;
  }
}

type StackedModelStepper = BatchedStepper;

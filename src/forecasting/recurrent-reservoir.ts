// The recurrent layers as a reservoir for the RLS head: the model's layers (seeded, or fitted offline
// and swapped in by background retraining) are stepped on each multivariate row, and their hidden
// state becomes extra features of OnlineForecaster. Only the head learns online.
import { BatchedStepper } from '../models/batched-stepper.js';
import { StackedModel, type ModelConfig } from '../models/stacked-model.js';
import { StateArena } from '../models/state-arena.js';
import { initialiseWeights } from '../training/init.js';

const KEY = 'reservoir';

export class RecurrentReservoir {
  /** Extra features per step: the hidden state of every layer (and LSTM cell state), in arena order. */
  readonly size: number;
  readonly model: StackedModel;
  /** Rows with non-finite inputs: the state is kept unchanged for them (counted, not silent). */
  rejected = 0;
  private readonly arena: StateArena;
  private readonly stepper: BatchedStepper;
  private readonly slots: Int32Array;
  private readonly input: Float32Array;
  private readonly output: Float32Array;
  private readonly state: Float32Array;

  /** A seeded model unless `model` (e.g. one loaded or fitted offline) is given. */
  constructor(config: Omit<ModelConfig, 'horizon' | 'outputSize'>, model?: StackedModel) {
    this.model = model ?? new StackedModel({ ...config, horizon: 1, outputSize: 1 });
    if (model === undefined) initialiseWeights(this.model);
    this.arena = new StateArena(this.model.stateSize, 1);
    this.stepper = new BatchedStepper(this.model, this.arena, 1);
    this.slots = new Int32Array([this.arena.slotOf(KEY)]);
    this.input = new Float32Array(this.model.config.inputSize);
    this.output = new Float32Array(this.model.config.horizon * this.model.config.outputSize * 2);
    this.state = new Float32Array(this.model.stateSize);
    this.size = this.model.stateSize;
  }

  /** Steps the layers on one row and writes the new state into `features`. Allocates nothing. */
  step(row: ArrayLike<number>, features: Float64Array): void {
    for (let j = 0; j < this.input.length; j++) this.input[j] = row[j];
    this.rejected += this.stepper.step(this.slots, 1, this.input, this.output);
    this.arena.gather(this.slots, 1, this.state);
    for (let j = 0; j < this.size; j++) features[j] = this.state[j];
  }

  snapshot(): Uint8Array {
    return this.arena.exportState(KEY) ?? new Uint8Array(this.size * 4);
  }

  restore(bytes: Uint8Array): void {
    this.arena.importState(KEY, bytes);
  }
}

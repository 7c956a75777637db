import { TidecastError } from '../core/errors.js';
import { BatchedStepper } from '../models/batched-stepper.js';
import { fastStepSpec } from '../models/fast-step-spec.js';
import { createFastStepper } from '../models/kernels/step-wasm.js';
import type { FastStepper } from '../models/kernels/step-layout.js';
import type { StackedModel } from '../models/stacked-model.js';
import { StateArena } from '../models/state-arena.js';
import type { ReplayBuffer } from './replay-buffer.js';

// Re-warm before a swap: a hidden state only means something under the weights that produced it,
// so each live stream's state is rebuilt by running its recent input rows through the new weights.
// The heavy part runs in the worker (warmStates over the last W rows of every buffered stream, from
// the zero state, as of the job's start); at the swap the inference thread only catches each stream
// up over the steps it made since (usually a few), or, for streams the worker did not see, runs
// their last W rows itself. The live arena is written in one pass at the end, between two steps.

/** Worker-computed states as of the job's start. */
export interface RewarmSeed {
  readonly keys: readonly string[];
  /** The buffer's step count of each stream when its rows were taken. */
  readonly counts: Float64Array;
  /** keys × stateSize */
  readonly states: Float32Array;
}

export interface RewarmReport {
  readonly streams: number;
  /** Streams continued from the worker's state. */
  readonly seeded: number;
  /** Live streams with no rows in the buffer: their state is kept as it is. */
  readonly kept: number;
  /** Batched steps run on the calling thread. */
  readonly rounds: number;
}

/**
 * Runs S streams over their rows, aligned to the end (a stream with n < R rows joins at round
 * R - n), from `initial` (S × stateSize) or zeros. inputs: R × S × inputSize, time-major. Returns
 * the final states, S × stateSize.
 */
export function warmStates(
  model: StackedModel,
  S: number,
  R: number,
  inputs: Float32Array,
  counts: ArrayLike<number>,
  initial?: Float32Array,
  maxBatch = 256,
): Float32Array {
  const inSize = model.config.inputSize;
  const temp = new StateArena(model.stateSize, Math.max(1, S));
  for (let s = 0; s < S; s++) temp.slotOf(String(s)); // slots 0..S-1
  if (initial !== undefined) temp.data.set(initial.subarray(0, S * model.stateSize));
  // The fused stepper, as inference runs (same bits as BatchedStepper, which is the fallback).
  const fused = fusedStepper(model, maxBatch);
  const stepper = fused === null ? new BatchedStepper(model, temp, maxBatch) : undefined;
  const slots = new Int32Array(S);
  const x = new Float32Array(S * inSize);
  const y = new Float32Array(S * model.outputWidth);
  for (let r = 0; r < R; r++) {
    let c = 0;
    for (let s = 0; s < S; s++) {
      if (r < R - counts[s]) continue;
      slots[c] = s;
      x.set(inputs.subarray((r * S + s) * inSize, (r * S + s + 1) * inSize), c * inSize);
      c++;
    }
    if (c === 0) continue;
    if (fused === null) stepper?.step(slots, c, x, y);
    else
      for (let from = 0; from < c; from += maxBatch) {
        const n = Math.min(maxBatch, c - from);
        fused.step(slots.subarray(from, from + n), n, x.subarray(from * inSize), temp.data, y);
      }
  }
  return temp.data.slice(0, S * model.stateSize);
}

function fusedStepper(model: StackedModel, maxBatch: number): FastStepper | null {
  try {
    return createFastStepper(fastStepSpec(model), maxBatch);
  } catch (err) {
    if (err instanceof TidecastError) return null; // activations the fused step does not have
    throw err;
  }
}

/** The last W rows of every buffered stream, as warmStates wants them. */
export function rewarmRows(
  buffer: ReplayBuffer,
  W: number,
): { keys: string[]; counts: Float64Array; steps: Int32Array; inputs: Float32Array } {
  const inSize = buffer.options.inputSize;
  const keys = [...buffer.keys()];
  const S = keys.length;
  const inputs = new Float32Array(W * S * inSize);
  const steps = new Int32Array(S);
  const counts = new Float64Array(S);
  const row = new Float32Array(W * inSize);
  keys.forEach((key, s) => {
    const n = buffer.lastInputs(key, W, row);
    steps[s] = n;
    counts[s] = buffer.countOf(key);
    for (let k = 0; k < n; k++) inputs.set(row.subarray(k * inSize, (k + 1) * inSize), ((W - n + k) * S + s) * inSize);
  });
  return { keys, counts, steps, inputs };
}

/** Re-warms every live stream of `arena` under `model`, continuing from `seed` where it can. */
export function rewarmStates(
  model: StackedModel,
  buffer: ReplayBuffer,
  arena: StateArena,
  W: number,
  seed?: RewarmSeed,
  maxBatch = 256,
): RewarmReport {
  const inSize = model.config.inputSize;
  const SS = model.stateSize;
  const seedIndex = new Map(seed?.keys.map((k, i) => [k, i]));
  const keys: string[] = [];
  const counts: number[] = [];
  const rows: Float32Array[] = [];
  const initial: Float32Array[] = [];
  let kept = 0,
    seeded = 0;
  for (const key of arena.keys()) {
    const i = seedIndex.get(key);
    const gap = i === undefined ? Infinity : buffer.countOf(key) - seed!.counts[i];
    const useSeed = gap <= Math.min(W, buffer.stepsOf(key));
    const into = new Float32Array(W * inSize);
    const n = buffer.lastInputs(key, useSeed ? gap : W, into);
    if (!useSeed && n === 0) {
      kept++;
      continue;
    }
    keys.push(key);
    counts.push(n);
    rows.push(into);
    initial.push(useSeed ? seed!.states.subarray(i! * SS, (i! + 1) * SS) : new Float32Array(SS));
    if (useSeed) seeded++;
  }
  const S = keys.length;
  const R = Math.max(0, ...counts);
  const inputs = new Float32Array(R * S * inSize);
  rows.forEach((into, s) => {
    for (let k = 0; k < counts[s]; k++) inputs.set(into.subarray(k * inSize, (k + 1) * inSize), ((R - counts[s] + k) * S + s) * inSize);
  });
  const init = new Float32Array(S * SS);
  initial.forEach((st, s) => {
    init.set(st, s * SS);
  });
  const states = warmStates(model, S, R, inputs, counts, init, maxBatch);
  keys.forEach((key, s) => {
    arena.data.set(states.subarray(s * SS, (s + 1) * SS), arena.peek(key) * SS);
  });
  return { streams: S, seeded, kept, rounds: R };
}

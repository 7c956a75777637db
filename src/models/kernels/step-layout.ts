// The fused step's model description (Keras layout weights) and the per-layer GEMM operands both
// steppers compute from. For every gate column j: G[j] = fround(s + bias[j]), s summing the
// float32-rounded products A[p]·W[p][j] over p in order from 0 (the portable.ts contract).
//   rnn / lstm:  G1 = [x | h]·[K; R] + b
//   gru:         G1 = [x | h]·[K; R]_{z,r} + b_{z,r} (reset_after: b_in + b_rec, summed once)
//                G2 = x·K_h + b_in,h
//                G3 = h·R_h + b_rec,h (reset_after) or (r⊙h)·R_h (reset_before)

export type FastCellKind = 'rnn' | 'lstm' | 'lstm-peephole' | 'gru';

export interface FastLayerWeights {
  readonly units: number;
  /** [layerInput, G·units] */
  readonly kernel: Float32Array;
  /** [units, G·units] */
  readonly recurrentKernel: Float32Array;
  /** [G·units]; GRU with resetAfter: [2, 3·units] (input bias row, then recurrent bias row). */
  readonly bias: Float32Array;
  /** lstm-peephole: [3, units] holding p_i, p_f, p_o. */
  readonly peephole?: Float32Array;
}

export interface FastStepSpec {
  readonly kind: FastCellKind;
  readonly inputSize: number;
  /** GRU only; Keras default true. */
  readonly resetAfter?: boolean;
  readonly layers: readonly FastLayerWeights[];
  /** Dense head on the last layer's h: kernel [units, outputs], bias [outputs]. */
  readonly head?: { readonly kernel: Float32Array; readonly bias: Float32Array };
}

/** One GEMM operand set: W is k×n row-major, bias has n entries. */
export interface GateGemm {
  readonly k: number;
  readonly n: number;
  readonly w: Float32Array;
  readonly bias: Float32Array;
}

export interface LayerPlan {
  readonly input: number;
  readonly units: number;
  /** Floats into a slot's state row where this layer's h starts (c follows for LSTM). */
  readonly stateOffset: number;
  readonly g1: GateGemm;
  readonly g2: GateGemm | null;
  readonly g3: GateGemm | null;
  readonly peephole: Float32Array | null;
}

export interface StepPlan {
  readonly kind: FastCellKind;
  readonly resetAfter: boolean;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly stateSize: number;
  readonly layers: readonly LayerPlan[];
  readonly headW: Float32Array;
  readonly headB: Float32Array;
}

const GATES: Record<FastCellKind, number> = { rnn: 1, lstm: 4, 'lstm-peephole': 4, gru: 3 };

function need(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`Invalid fast step spec: ${what}.`);
}

/** Columns [from, from + width) of a rows×cols row-major matrix. */
function columns(m: Float32Array, rows: number, cols: number, from: number, width: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) out[r * width + j] = m[r * cols + from + j];
  return out;
}

function stack(top: Float32Array, bottom: Float32Array): Float32Array {
  const out = new Float32Array(top.length + bottom.length);
  out.set(top, 0);
  out.set(bottom, top.length);
  return out;
}

function layerPlan(spec: FastStepSpec, l: number, input: number, stateOffset: number): LayerPlan {
  const w = spec.layers[l];
  const u = w.units;
  const g = GATES[spec.kind];
  const after = spec.resetAfter ?? true;
  need(Number.isInteger(u) && u > 0, `layer ${l} units must be a positive integer, got ${u}`);
  need(w.kernel.length === input * g * u, `layer ${l} kernel must be [${input}, ${g * u}], got ${w.kernel.length} floats`);
  need(w.recurrentKernel.length === u * g * u, `layer ${l} recurrentKernel must be [${u}, ${g * u}]`);
  const biasLen = spec.kind === 'gru' && after ? 2 * g * u : g * u;
  need(w.bias.length === biasLen, `layer ${l} bias must have ${biasLen} floats, got ${w.bias.length}`);
  const peephole = spec.kind === 'lstm-peephole' ? (w.peephole ?? null) : null;
  need(spec.kind !== 'lstm-peephole' || (peephole !== null && peephole.length === 3 * u), `layer ${l} peephole must be [3, ${u}]`);
  if (spec.kind !== 'gru') {
    const g1 = { k: input + u, n: g * u, w: stack(w.kernel, w.recurrentKernel), bias: Float32Array.from(w.bias) };
    return { input, units: u, stateOffset, g1, g2: null, g3: null, peephole: peephole && Float32Array.from(peephole) };
  }
  const zrBias = new Float32Array(2 * u);
  for (let j = 0; j < 2 * u; j++) zrBias[j] = after ? Math.fround(w.bias[j] + w.bias[3 * u + j]) : w.bias[j];
  const g1 = {
    k: input + u,
    n: 2 * u,
    w: stack(columns(w.kernel, input, 3 * u, 0, 2 * u), columns(w.recurrentKernel, u, 3 * u, 0, 2 * u)),
    bias: zrBias,
  };
  const g2 = { k: input, n: u, w: columns(w.kernel, input, 3 * u, 2 * u, u), bias: w.bias.slice(2 * u, 3 * u) };
  const g3 = {
    k: u,
    n: u,
    w: columns(w.recurrentKernel, u, 3 * u, 2 * u, u),
    bias: after ? w.bias.slice(5 * u, 6 * u) : new Float32Array(u),
  };
  return { input, units: u, stateOffset, g1, g2, g3, peephole: null };
}

/** Validates a spec and derives the operands; weights are copied (later edits to the spec do not leak in). */
export function planStep(spec: FastStepSpec): StepPlan {
  need(spec.kind in GATES, `unknown kind ${String(spec.kind)}`);
  need(Number.isInteger(spec.inputSize) && spec.inputSize > 0, `inputSize must be a positive integer`);
  need(spec.layers.length > 0, 'at least one layer');
  const layers: LayerPlan[] = [];
  let input = spec.inputSize;
  let offset = 0;
  const perUnit = spec.kind === 'lstm' || spec.kind === 'lstm-peephole' ? 2 : 1;
  for (let l = 0; l < spec.layers.length; l++) {
    const p = layerPlan(spec, l, input, offset);
    layers.push(p);
    offset += perUnit * p.units;
    input = p.units;
  }
  const head = spec.head;
  const outputSize = head ? head.bias.length : 0;
  need(!head || head.kernel.length === input * outputSize, `head kernel must be [${input}, ${outputSize}]`);
  return {
    kind: spec.kind,
    resetAfter: spec.resetAfter ?? true,
    inputSize: spec.inputSize,
    outputSize,
    stateSize: offset,
    layers,
    headW: head ? Float32Array.from(head.kernel) : new Float32Array(0),
    headB: head ? Float32Array.from(head.bias) : new Float32Array(0),
  };
}

/** Fused step with a state arena: stateArena[slot·stateSize ...] holds each layer's h (then c for LSTM). */
export interface FastStepper {
  readonly backend: 'native' | 'wasm' | 'portable';
  readonly stateSize: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  /** Per layer, floats into a state row where its h starts (LSTM: c follows at + units). */
  readonly stateOffsets: readonly number[];
  /**
   * Advances `count` streams (distinct slots) by one step: inputs count×inputSize, out count×outputSize.
   * Reads and writes the streams' rows of stateArena. Allocates nothing.
   */
  step(slots: Int32Array, count: number, inputs: Float32Array, stateArena: Float32Array, out: Float32Array): void;
}

/** Argument checks shared by both steppers (bad calls are programming errors: RangeError). */
export function checkStepArgs(
  s: FastStepper,
  slots: Int32Array,
  count: number,
  inputs: Float32Array,
  arena: Float32Array,
  out: Float32Array,
): void {
  if (!(count >= 0 && count <= s.maxBatch && count <= slots.length)) {
    throw new RangeError(`count ${count} must be within 0..min(maxBatch ${s.maxBatch}, slots ${slots.length}).`);
  }
  if (inputs.length < count * s.inputSize) throw new RangeError(`inputs holds ${inputs.length} floats, need ${count * s.inputSize}.`);
  if (out.length < count * s.outputSize) throw new RangeError(`out holds ${out.length} floats, need ${count * s.outputSize}.`);
  const slotsInArena = Math.floor(arena.length / s.stateSize);
  for (let r = 0; r < count; r++) {
    const slot = slots[r];
    if (!(slot >= 0 && slot < slotsInArena)) throw new RangeError(`slot ${slot} is outside the state arena (0..${slotsInArena - 1}).`);
  }
}

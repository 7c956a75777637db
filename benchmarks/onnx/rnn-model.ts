import type { FastStepSpec } from '../../src/models/kernels/step-layout.js';
import { floatBytes, Message } from './protobuf.js';

// Builds an ONNX model (opset 14) for one step of a stacked LSTM or GRU with a dense head, from the
// same Keras-layout weights the fused stepper uses, so the peer computes the same function.
// Inputs: x [1, B, in] and per layer h (and c) [1, B, units]; outputs: y [1, B, out] and the new states.
// ONNX gate orders: LSTM i, o, f, c (Keras i, f, c, o); GRU z, r, h with linear_before_reset = reset_after.

const FLOAT = 1;
const INT64 = 7;

function tensor(name: string, dims: readonly number[], data: Float32Array): Message {
  const t = new Message();
  for (const d of dims) t.int(1, d);
  return t.int(2, FLOAT).string(8, name).bytes(9, floatBytes(data));
}

function int64Tensor(name: string, values: readonly number[]): Message {
  const raw = new Uint8Array(values.length * 8);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => {
    dv.setBigInt64(i * 8, BigInt(v), true);
  });
  return new Message().int(1, values.length).int(2, INT64).string(8, name).bytes(9, raw);
}

function valueInfo(name: string, dims: ReadonlyArray<number | string>): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d));
  const tensorType = new Message().int(1, FLOAT).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

function node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Message[] = []): Message {
  const n = new Message();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(4, op);
  for (const a of attrs) n.message(5, a);
  return n;
}

const intAttr = (name: string, v: number): Message => new Message().string(1, name).int(3, v).int(20, 2);

/** Keras [in, G·u] (gate blocks in kerasOrder) → ONNX [G·u, in] with gate blocks in onnxOrder. */
function toOnnxGates(k: Float32Array, rows: number, u: number, order: readonly number[]): Float32Array {
  const g = order.length;
  const out = new Float32Array(g * u * rows);
  order.forEach((kg, og) => {
    for (let j = 0; j < u; j++) for (let p = 0; p < rows; p++) out[(og * u + j) * rows + p] = k[p * g * u + kg * u + j];
  });
  return out;
}

function reorder(v: Float32Array, u: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(order.length * u);
  order.forEach((kg, og) => {
    out.set(v.subarray(kg * u, kg * u + u), og * u);
  });
  return out;
}

export interface OnnxStepModel {
  readonly bytes: Uint8Array;
  /** State input names in order, with their per-stream widths. */
  readonly stateInputs: ReadonlyArray<{ name: string; output: string; units: number }>;
}

export function buildOnnxStepModel(spec: FastStepSpec): OnnxStepModel {
  if (spec.kind !== 'lstm' && spec.kind !== 'gru') throw new RangeError(`ONNX peer supports lstm and gru, got ${spec.kind}`);
  const lstm = spec.kind === 'lstm';
  const order = lstm ? [0, 3, 1, 2] : [0, 1, 2];
  const graph = new Message().string(2, `tidecast-${spec.kind}-step`);
  const inputs: Message[] = [valueInfo('x', [1, 'B', spec.inputSize])];
  const outputs: Message[] = [];
  const states: Array<{ name: string; output: string; units: number }> = [];
  let prev = 'x';
  let inSize = spec.inputSize;
  spec.layers.forEach((l, i) => {
    const u = l.units;
    const g = order.length;
    const resetAfter = !lstm && (spec.resetAfter ?? true);
    const wb = lstm || !resetAfter ? reorder(l.bias, u, order) : l.bias.subarray(0, 3 * u);
    const rb = lstm || !resetAfter ? new Float32Array(g * u) : l.bias.subarray(3 * u, 6 * u);
    const b = new Float32Array(2 * g * u);
    b.set(wb, 0);
    b.set(rb, g * u);
    graph.message(5, tensor(`W${i}`, [1, g * u, inSize], toOnnxGates(l.kernel, inSize, u, order)));
    graph.message(5, tensor(`R${i}`, [1, g * u, u], toOnnxGates(l.recurrentKernel, u, u, order)));
    graph.message(5, tensor(`B${i}`, [1, 2 * g * u], b));
    const rnnIn = [prev, `W${i}`, `R${i}`, `B${i}`, '', `h${i}`];
    const rnnOut = [`Y${i}`, `h${i}_next`];
    states.push({ name: `h${i}`, output: `h${i}_next`, units: u });
    if (lstm) {
      rnnIn.push(`c${i}`);
      rnnOut.push(`c${i}_next`);
      states.push({ name: `c${i}`, output: `c${i}_next`, units: u });
    }
    const attrs = [intAttr('hidden_size', u)];
    if (!lstm) attrs.push(intAttr('linear_before_reset', resetAfter ? 1 : 0));
    graph.message(1, node(lstm ? 'LSTM' : 'GRU', rnnIn, rnnOut, attrs));
    // Y is [seq 1, dirs 1, B, u]: drop the direction axis for the next layer.
    graph.message(5, int64Tensor(`shape${i}`, [1, -1, u]));
    graph.message(1, node('Reshape', [`Y${i}`, `shape${i}`], [`Y${i}_flat`]));
    prev = `Y${i}_flat`;
    inSize = u;
  });
  for (const s of states) {
    inputs.push(valueInfo(s.name, [1, 'B', s.units]));
    outputs.push(valueInfo(s.output, [1, 'B', s.units]));
  }
  const head = spec.head!;
  const out = head.bias.length;
  graph.message(5, tensor('headW', [inSize, out], head.kernel));
  graph.message(5, tensor('headB', [out], head.bias));
  graph.message(1, node('MatMul', [prev, 'headW'], ['yw']));
  graph.message(1, node('Add', ['yw', 'headB'], ['y']));
  for (const i of inputs) graph.message(11, i);
  graph.message(12, valueInfo('y', [1, 'B', out]));
  for (const o of outputs) graph.message(12, o);
  const model = new Message().int(1, 8).string(2, 'tidecast-bench').message(7, graph).message(8, new Message().string(1, '').int(2, 14));
  return { bytes: model.encode(), stateInputs: states };
}

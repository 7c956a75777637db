import * as tf from '@tensorflow/tfjs';
import type { StackedModel } from '../stacked-model.js';
import { cellWeights } from '../keras-weights.js';

// Test support: the same stack built from @tensorflow/tfjs layers with our weights, as the
// independent reference. tfjs has no reset-after GRU, so that one is written out with tfjs ops
// following Keras's GRUCell (reset_after=True) equations.

export interface MirrorResult {
  /** Head outputs, T×B×outputWidth (time-major like ours). */
  readonly head: Float32Array;
  /** Final states rows B×stateSize in our arena layout. */
  readonly finalState: Float32Array;
}

type Step = (seq: tf.Tensor3D, init: tf.Tensor[] | null) => tf.Tensor[];

export interface TfjsStack {
  /** seq B×T×in (batch-major, as tfjs) → [head B×T×W, then per layer its final state tensors]. */
  run(seq: tf.Tensor3D, init: Float32Array | null): { head: tf.Tensor3D; states: tf.Tensor[][] };
  /** Every weight in Keras order (layers, then the head), as the variables tfjs trains. */
  readonly variables: tf.Variable[];
}

export function buildTfjsStack(model: StackedModel): TfjsStack {
  const variables: tf.Variable[] = [];
  const steps: Step[] = model.cells.map((cell) => {
    const weights = cellWeights(cell).map((w) => tf.tensor(w.data, [...w.shape]));
    if (cell.config.kind === 'gru' && cell.config.resetAfter) {
      const vars = weights.map((w) => tf.variable(w));
      variables.push(...vars);
      const B0 = (seq: tf.Tensor3D): tf.Tensor => tf.zeros([seq.shape[0], cell.units]);
      return (seq, init) => gruResetAfter(seq, vars, init === null ? B0(seq) : init[0], cell.config.recurrentActivation);
    }
    const common = {
      units: cell.units,
      returnSequences: true,
      returnState: true,
      activation: cell.config.activation,
      recurrentActivation: tfjsActivation(cell.config.recurrentActivation),
    };
    const layer =
      cell.config.kind === 'rnn'
        ? tf.layers.simpleRNN({ units: cell.units, returnSequences: true, returnState: true, activation: cell.config.activation })
        : cell.config.kind === 'gru'
          ? tf.layers.gru(common)
          : tf.layers.lstm(common);
    layer.apply(tf.zeros([1, 1, cell.inputSize])); // builds the weights
    layer.setWeights(weights);
    variables.push(...layer.trainableWeights.map((w) => w.read() as tf.Variable));
    return (seq, init) => (init === null ? layer.apply(seq) : layer.apply(seq, { initialState: init })) as tf.Tensor[];
  });
  const w = model.outputWidth;
  const dense = tf.layers.dense({ units: w });
  dense.apply(tf.zeros([1, model.headKernel.shape[0]]));
  dense.setWeights([tf.tensor(model.headKernel.data, [...model.headKernel.shape]), tf.tensor(model.headBias.data, [w])]);
  variables.push(...dense.trainableWeights.map((v) => v.read() as tf.Variable));
  return {
    variables,
    run(seq, init) {
      const B = seq.shape[0];
      const states: tf.Tensor[][] = [];
      model.cells.forEach((cell, l) => {
        const lay = model.stateLayout[l];
        const initT = init === null ? null : stateTensors(init, B, model.stateSize, lay.hOffset, lay.cOffset, cell.units);
        const outs = steps[l](seq, initT);
        seq = outs[0] as tf.Tensor3D;
        states.push(outs.slice(1));
      });
      return { head: dense.apply(seq) as tf.Tensor3D, states };
    },
  };
}

/** x: T×B×in, time-major; initial: B×stateSize rows or null for zeros. */
export function tfjsForward(model: StackedModel, x: Float32Array, T: number, B: number, initial: Float32Array | null): MirrorResult {
  const stack = buildTfjsStack(model);
  const result = tf.tidy(() => {
    const seq = tf.tensor3d(x, [T, B, model.config.inputSize]).transpose([1, 0, 2]) as tf.Tensor3D;
    const { head, states } = stack.run(seq, initial);
    const finalState = new Float32Array(B * model.stateSize);
    model.cells.forEach((cell, l) => {
      const lay = model.stateLayout[l];
      copyRows(states[l][0].dataSync() as Float32Array, finalState, B, model.stateSize, lay.hOffset, cell.units);
      if (lay.cOffset >= 0) copyRows(states[l][1].dataSync() as Float32Array, finalState, B, model.stateSize, lay.cOffset, cell.units);
    });
    return { head: head.transpose([1, 0, 2]).dataSync() as Float32Array, finalState };
  });
  for (const v of stack.variables) v.dispose();
  return result;
}

function stateTensors(rows: Float32Array, B: number, stride: number, hOff: number, cOff: number, u: number): tf.Tensor[] {
  const pick = (off: number): tf.Tensor => {
    const a = new Float32Array(B * u);
    for (let b = 0; b < B; b++) for (let j = 0; j < u; j++) a[b * u + j] = rows[b * stride + off + j];
    return tf.tensor2d(a, [B, u]);
  };
  return cOff >= 0 ? [pick(hOff), pick(cOff)] : [pick(hOff)];
}

function copyRows(src: Float32Array, dst: Float32Array, B: number, stride: number, off: number, u: number): void {
  for (let b = 0; b < B; b++) for (let j = 0; j < u; j++) dst[b * stride + off + j] = src[b * u + j];
}

function tfjsActivation(name: string): 'sigmoid' | 'hardSigmoid' {
  return name === 'sigmoid' ? 'sigmoid' : 'hardSigmoid';
}

function gate(x: tf.Tensor, name: string): tf.Tensor {
  return name === 'sigmoid' ? tf.sigmoid(x) : tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
}

/** Keras GRUCell with reset_after=True: matrix_x = x·W + b_in, matrix_inner = h·U + b_rec. */
function gruResetAfter(seq: tf.Tensor3D, [W, U, bias]: tf.Tensor[], h0: tf.Tensor, recAct: string): tf.Tensor[] {
  const [bIn, bRec] = tf.unstack(bias);
  let h = h0;
  const outs: tf.Tensor[] = [];
  for (const x of tf.unstack(seq, 1)) {
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(x, W), bIn), 3, 1);
    const [rz, rr, rh] = tf.split(tf.add(tf.matMul(h, U), bRec), 3, 1);
    const z = gate(tf.add(xz, rz), recAct);
    const r = gate(tf.add(xr, rr), recAct);
    const hh = tf.tanh(tf.add(xh, tf.mul(r, rh)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    outs.push(h);
  }
  return [tf.stack(outs, 1), h];
}

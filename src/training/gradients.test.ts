import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig, StackedModel } from '../models/stacked-model.js';
import { modelWeights } from '../models/keras-weights.js';
import { buildTfjsStack } from '../models/testing/tfjs-mirror.js';
import { randomArray, randomModel } from '../models/testing/random-model.js';
import { gaussianNllLoss, lossFunction, mseLoss, type LossName } from './losses.js';
import { SequenceRunner } from './sequence.js';

// Analytic gradients (our backward pass) against (1) central finite differences of our own
// forward pass and (2) tf.variableGrads of the same loss on the tfjs mirror of the model.

const T = 7;
const B = 2;

const cases: { name: string; config: ModelConfig }[] = [
  { name: 'rnn', config: { kind: 'rnn', inputSize: 2, units: 3, layers: 2, horizon: 2, outputSize: 1, seed: 1 } },
  { name: 'lstm', config: { kind: 'lstm', inputSize: 2, units: 3, layers: 2, horizon: 2, outputSize: 1, seed: 2 } },
  { name: 'lstm-peephole', config: { kind: 'lstm-peephole', inputSize: 2, units: 3, layers: 2, horizon: 1, outputSize: 2, seed: 3 } },
  {
    name: 'gru reset_after',
    config: { kind: 'gru', inputSize: 2, units: 3, layers: 2, horizon: 2, outputSize: 1, resetAfter: true, seed: 4 },
  },
  {
    name: 'gru reset_before',
    config: { kind: 'gru', inputSize: 2, units: 3, layers: 2, horizon: 2, outputSize: 1, resetAfter: false, seed: 5 },
  },
];

function setup(config: ModelConfig) {
  const model = randomModel(config);
  const x = randomArray(T * B * config.inputSize, 21);
  const tw = config.horizon * config.outputSize;
  const y = randomArray(T * B * tw, 22);
  y[3] = NaN; // a missing target is skipped
  const init = randomArray(B * model.stateSize, 23, 0.5);
  return { model, x, y, init, tw };
}

function lossOf(model: StackedModel, runner: SequenceRunner, x: Float32Array, y: Float32Array, init: Float32Array, loss: LossName): number {
  runner.setInitialState(init, B);
  const out = runner.forward(T, B, x, 0, false);
  const tw = model.config.horizon * model.config.outputSize;
  return lossFunction(loss)(out, y, T * B * tw, new Float32Array(out.length));
}

function analytic(model: StackedModel, runner: SequenceRunner, x: Float32Array, y: Float32Array, init: Float32Array, loss: LossName): void {
  runner.setInitialState(init, B);
  const out = runner.forward(T, B, x, 0, true);
  const dOut = new Float32Array(out.length);
  const tw = model.config.horizon * model.config.outputSize;
  lossFunction(loss)(out, y, T * B * tw, dOut);
  model.zeroGrads();
  runner.backward(dOut);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(cases)('$name gradients', ({ config }) => {
  it.each(['mse', 'gaussian-nll'] as const)('match central finite differences (%s)', (loss) => {
    const { model, x, y, init } = setup(config);
    const runner = new SequenceRunner(model, T, B);
    analytic(model, runner, x, y, init, loss);
    const eps = 4e-3;
    let checked = 0;
    for (const p of model.params()) {
      const analyticGrad = p.grad.slice();
      for (let i = 0; i < p.data.length; i += Math.max(1, Math.floor(p.data.length / 7))) {
        const orig = p.data[i];
        p.data[i] = orig + eps;
        const up = lossOf(model, runner, x, y, init, loss);
        p.data[i] = orig - eps;
        const down = lossOf(model, runner, x, y, init, loss);
        p.data[i] = orig;
        const fd = (up - down) / (2 * eps);
        expect(Math.abs(analyticGrad[i] - fd), `${p.name}[${i}]: analytic ${analyticGrad[i]} vs fd ${fd}`).toBeLessThan(
          2e-3 + 2e-2 * Math.abs(fd),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

// tfjs has no peephole LSTM: that one is covered by finite differences and lstm-cell.test.ts.
describe.each(cases.filter((c) => c.config.kind !== 'lstm-peephole'))('$name gradients vs tfjs', ({ config }) => {
  it('match tfjs gradients of the same loss', () => {
    const { model, x, y, init, tw } = setup(config);
    const runner = new SequenceRunner(model, T, B);
    analytic(model, runner, x, y, init, 'gaussian-nll');
    const ours = modelWeights(model, 'grad').flat();

    const stack = buildTfjsStack(model);
    const seq = tf.tensor3d(x, [T, B, config.inputSize]).transpose([1, 0, 2]) as tf.Tensor3D;
    const mask = Float32Array.from(y, (v) => (Number.isNaN(v) ? 0 : 1));
    const yClean = Float32Array.from(y, (v) => (Number.isNaN(v) ? 0 : v));
    const count = mask.reduce((a, b) => a + b, 0);
    const target = tf.tensor3d(yClean, [T, B, tw]).transpose([1, 0, 2]);
    const maskT = tf.tensor3d(mask, [T, B, tw]).transpose([1, 0, 2]);
    const { value, grads } = tf.variableGrads(() => {
      const { head } = stack.run(seq, init);
      const pairs = head.reshape([B, T, tw, 2]);
      const mean = pairs.slice([0, 0, 0, 0], [B, T, tw, 1]).reshape([B, T, tw]);
      const logVar = pairs.slice([0, 0, 0, 1], [B, T, tw, 1]).reshape([B, T, tw]);
      const err = tf.sub(mean, target);
      const nll = tf.mul(0.5, tf.add(logVar, tf.mul(tf.square(err), tf.exp(tf.neg(logVar)))));
      return tf.div(tf.sum(tf.mul(nll, maskT)), count) as tf.Scalar;
    }, stack.variables);
    const ourLoss = lossOf(model, runner, x, y, init, 'gaussian-nll');
    expect(Math.abs(value.dataSync()[0] - ourLoss)).toBeLessThan(1e-5);
    expect(stack.variables.length).toBe(ours.length);
    stack.variables.forEach((v, i) => {
      const theirs = grads[v.name].dataSync();
      const mine = ours[i].data;
      let worst = 0;
      for (let j = 0; j < mine.length; j++) worst = Math.max(worst, Math.abs(mine[j] - theirs[j]) / Math.max(1e-2, Math.abs(theirs[j])));
      expect(worst, `${ours[i].name} (${v.name})`).toBeLessThan(1e-3);
    });
    for (const v of stack.variables) v.dispose();
  });
});

describe('losses', () => {
  it('mse and gaussian nll give their textbook values and skip NaN targets', () => {
    const out = Float32Array.of(1, 0, 3, Math.log(4), 100, 5);
    const y = Float32Array.of(0, 1, NaN);
    const d = new Float32Array(6);
    expect(mseLoss(out, y, 3, d)).toBeCloseTo((1 + 4) / 2, 6);
    expect(Array.from(d)).toEqual([1, 0, 2, 0, 0, 0]);
    // 0.5·(0 + 1/1) and 0.5·(log 4 + 4/4), averaged.
    expect(gaussianNllLoss(out, y, 3, d)).toBeCloseTo((0.5 + 0.5 * (Math.log(4) + 1)) / 2, 6);
    expect(d[4]).toBe(0);
  });
});

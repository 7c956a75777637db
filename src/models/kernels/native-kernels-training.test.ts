import { describe, expect, it } from 'vitest';
import { StackedModel, type ModelConfig } from '../stacked-model.js';
import { initialiseWeights } from '../../training/init.js';
import { Adam } from '../../training/optimisers.js';
import { TbpttTrainer } from '../../training/tbptt.js';
import type { LossName } from '../../training/losses.js';
import type { Kernels } from './kernels.js';
import { nativeKernels } from './native-kernels.js';
import { portableKernels } from './portable.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';

// End to end through the model core: TBPTT on the native AVX-512 kernels (GEMMs, fused gate math,
// fused Adam) must leave exactly the weights the portable kernels leave after several updates.
// Skipped where the addon is not built or the CPU lacks AVX-512.

const native = nativeKernels();

type Case = {
  name: string;
  config: Omit<ModelConfig, 'inputSize' | 'layers' | 'horizon' | 'outputSize' | 'seed' | 'units'>;
  loss: LossName;
};
const CASES: Case[] = [
  { name: 'lstm', config: { kind: 'lstm' }, loss: 'mse' },
  {
    name: 'lstm-peephole, hard sigmoid, gaussian nll',
    config: { kind: 'lstm-peephole', recurrentActivation: 'hard_sigmoid' },
    loss: 'gaussian-nll',
  },
  { name: 'lstm relu with dropout', config: { kind: 'lstm', activation: 'relu', dropout: 0.25 }, loss: 'mse' },
  { name: 'gru reset-after', config: { kind: 'gru' }, loss: 'mse' },
  { name: 'gru reset-before', config: { kind: 'gru', resetAfter: false }, loss: 'gaussian-nll' },
  { name: 'rnn tanh', config: { kind: 'rnn' }, loss: 'mse' },
  { name: 'rnn relu', config: { kind: 'rnn', activation: 'relu' }, loss: 'mse' },
];

function trainedParams(kernels: Kernels, c: Case): { params: Float32Array[]; norms: readonly number[] } {
  const config: ModelConfig = { ...c.config, inputSize: 3, units: [17, 6], layers: 2, horizon: 2, outputSize: 1, seed: 4 };
  const model = new StackedModel(config, kernels);
  initialiseWeights(model);
  const trainer = new TbpttTrainer(
    model,
    {
      k1: 4,
      k2: 6,
      loss: c.loss,
      optimiser: new Adam({ learningRate: 0.01 }),
      clipNorm: 0.5,
      seed: 9,
    },
    5,
  );
  const rand = seededRandom(21);
  const steps = 16,
    batch = 5;
  const data = { steps, batch, inputs: randomFloats(rand, steps * batch * 3), targets: randomFloats(rand, steps * batch * 2) };
  const norms: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) norms.push(...trainer.train(data).gradNorms);
  return { params: model.params().map((p) => Float32Array.from(p.data)), norms };
}

describe.skipIf(native === null)('native kernels under the model core trainer', () => {
  for (const c of CASES) {
    it(`${c.name}: 12 TBPTT updates on native kernels give the portable weights bit for bit`, () => {
      const expected = trainedParams(portableKernels, c);
      const actual = trainedParams(native as Kernels, c);
      expect(actual.norms).toEqual(expected.norms);
      expect(actual.params.length).toBe(expected.params.length);
      actual.params.forEach((a, i) => {
        expect(firstBitDifference(a, expected.params[i]), `param ${i}`).toBe(-1);
      });
      const initial = new StackedModel({ ...c.config, inputSize: 3, units: [17, 6], layers: 2, horizon: 2, outputSize: 1, seed: 4 });
      initialiseWeights(initial);
      expect(firstBitDifference(initial.params()[0].data, expected.params[0])).not.toBe(-1); // training moved the weights
    });
  }
});

import { describe, expect, it } from 'vitest';
import { StackedModel } from '../stacked-model.js';
import { initialiseWeights } from '../../training/init.js';
import { Adam } from '../../training/optimisers.js';
import { TbpttTrainer } from '../../training/tbptt.js';
import type { Kernels } from './kernels.js';
import { portableKernels } from './portable.js';
import { createWasmKernels } from './wasm-kernels.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';

// End to end through the model core: TBPTT training on the WASM kernels must leave exactly the same
// weights as on the portable kernels (every GEMM is bit-identical, so the whole run is).

function trainedParams(kernels: Kernels, kind: 'lstm' | 'gru' | 'rnn'): Float32Array[] {
  const model = new StackedModel({ kind, inputSize: 3, units: [10, 6], layers: 2, horizon: 2, outputSize: 1, seed: 4 }, kernels);
  initialiseWeights(model);
  const trainer = new TbpttTrainer(model, { k1: 4, k2: 6, loss: 'mse', optimiser: new Adam({ learningRate: 0.01 }) }, 5);
  const rand = seededRandom(21);
  const steps = 12,
    batch = 5;
  const data = { steps, batch, inputs: randomFloats(rand, steps * batch * 3), targets: randomFloats(rand, steps * batch * 2) };
  trainer.train(data);
  trainer.train(data);
  return model.params().map((p) => Float32Array.from(p.data));
}

describe('wasm kernels under the model core trainer', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    it(`${kind}: TBPTT on wasm kernels gives the portable weights bit for bit`, () => {
      const expected = trainedParams(portableKernels, kind);
      const actual = trainedParams(createWasmKernels({ heapBytes: 4 << 20 }), kind);
      expect(actual.length).toBe(expected.length);
      actual.forEach((a, i) => {
        expect(firstBitDifference(a, expected[i]), `param ${i}`).toBe(-1);
      });
      const initial = new StackedModel({ kind, inputSize: 3, units: [10, 6], layers: 2, horizon: 2, outputSize: 1, seed: 4 });
      initialiseWeights(initial);
      expect(firstBitDifference(initial.params()[0].data, expected[0])).not.toBe(-1); // training moved the weights
    });
  }
});

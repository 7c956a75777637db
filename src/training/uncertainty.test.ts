import { expect, it } from 'vitest';
import { StackedModel } from '../models/stacked-model.js';
import { initialiseWeights } from './init.js';
import { Adam } from './optimisers.js';
import { Prng } from './prng.js';
import { SequenceRunner } from './sequence.js';
import { TbpttTrainer } from './tbptt.js';

// With the Gaussian NLL the log-variance head learns the noise level: y_t = x_t + N(0, σ²) with
// σ = 0.3 for the first target and 0.1 for the second, so log σ² ≈ -2.41 and -4.61. (The NLL
// learns the means more slowly than MSE would; some mean error remains in the variance.)

const T = 20,
  B = 32,
  SIGMA = [0.3, 0.1];

function batch(rng: Prng) {
  const inputs = new Float32Array(T * B),
    targets = new Float32Array(T * B * 2);
  for (let i = 0; i < T * B; i++) {
    const x = rng.uniform(-1, 1);
    inputs[i] = x;
    targets[2 * i] = x + SIGMA[0] * rng.normal();
    targets[2 * i + 1] = -x + SIGMA[1] * rng.normal();
  }
  return { steps: T, batch: B, inputs, targets };
}

it('learns the noise variance of each target through the log-variance outputs', () => {
  const model = new StackedModel({ kind: 'rnn', inputSize: 1, units: 6, layers: 1, horizon: 1, outputSize: 2, seed: 4 });
  initialiseWeights(model);
  const trainer = new TbpttTrainer(
    model,
    { k1: T, k2: T, loss: 'gaussian-nll', optimiser: new Adam({ learningRate: 0.02 }), clipNorm: 5 },
    B,
  );
  const rng = new Prng(8);
  for (let i = 0; i < 600; i++) trainer.train(batch(rng));
  const test = batch(new Prng(99));
  const runner = new SequenceRunner(model, T, B);
  runner.resetInitialState(B);
  const out = runner.forward(T, B, test.inputs, 0, false);
  const meanLogVar = [0, 0];
  let sq = 0;
  for (let i = 0; i < T * B; i++) {
    meanLogVar[0] += out[4 * i + 1] / (T * B);
    meanLogVar[1] += out[4 * i + 3] / (T * B);
    sq += (out[4 * i] - test.inputs[i]) ** 2 / (T * B);
  }
  expect(sq).toBeLessThan(0.01); // the means track x
  expect(Math.abs(meanLogVar[0] - Math.log(SIGMA[0] ** 2))).toBeLessThan(0.35);
  expect(Math.abs(meanLogVar[1] - Math.log(SIGMA[1] ** 2))).toBeLessThan(0.35);
});

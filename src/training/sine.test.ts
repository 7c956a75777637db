import { expect, it } from 'vitest';
import { StackedModel } from '../models/stacked-model.js';
import { generate } from './generate.js';
import { initialiseWeights } from './init.js';
import { Adam } from './optimisers.js';
import { TbpttTrainer, evaluateLoss } from './tbptt.js';
import { sineWindows } from './testing-tasks.js';

// Learns the one-step-shifted sine: random windows of sin(x) in, sin(x + dx) as the target.
// The first BURN steps of a window carry no loss (one value cannot tell rising from falling).

// Sampled every 0.6 rad (about 10 samples a period): 200 generated steps span 19 periods.
const DX = 0.6,
  W = 30,
  BURN = 5,
  B = 16;

it('learns the one-step-shifted sine and generates 200 further steps', () => {
  const model = new StackedModel({ kind: 'lstm', inputSize: 1, units: 16, layers: 1, horizon: 1, outputSize: 1, seed: 3 });
  initialiseWeights(model);
  const adam = new Adam({ learningRate: 0.01 });
  const trainer = new TbpttTrainer(model, { k1: W, k2: W, loss: 'mse', optimiser: adam }, B);
  const before = evaluateLoss(model, sineWindows(99, 64, W, DX, BURN), 'mse');
  for (let i = 0; i < 300; i++) {
    if (i === 200) adam.learningRate = 0.003;
    if (i === 250) adam.learningRate = 0.001;
    trainer.resetState(); // windows are independent
    trainer.train(sineWindows(1000 + i, B, W, DX, BURN));
  }
  const after = evaluateLoss(model, sineWindows(99, 64, W, DX, BURN), 'mse'); // unseen phases
  expect(before).toBeGreaterThan(0.05);
  expect(after).toBeLessThan(1e-3);

  for (const x0 of [1.234, 2.5, 4]) {
    const seed = Float32Array.from({ length: W }, (_, t) => Math.sin(x0 + t * DX));
    const generated = generate(model, seed, W, 200);
    let worst = 0;
    for (let i = 0; i < 200; i++) worst = Math.max(worst, Math.abs(generated[i] - Math.sin(x0 + (W + i) * DX)));
    expect(worst).toBeLessThan(0.1);
  }
});

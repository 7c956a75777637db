import { expect, it } from 'vitest';
import { StackedModel } from '../models/stacked-model.js';
import { clipByGlobalNorm, clipByValue, globalGradNorm } from './clip.js';
import { initialiseWeights } from './init.js';
import { Sgd } from './optimisers.js';
import { TbpttTrainer } from './tbptt.js';
import { rememberFirst } from './testing-tasks.js';

// An exploding Elman RNN (recurrent kernel scaled ×4, relu): raw gradients are huge, and clipping
// bounds what reaches the optimiser, so one SGD step moves the weights by at most lr·maxNorm.

function explodingModel(): StackedModel {
  const model = new StackedModel({
    kind: 'rnn',
    activation: 'relu',
    inputSize: 2,
    units: 8,
    layers: 1,
    horizon: 1,
    outputSize: 1,
    seed: 5,
  });
  initialiseWeights(model);
  const rec = model.cells[0].params[1].data;
  for (let i = 0; i < rec.length; i++) rec[i] *= 4;
  return model;
}

it('clipping by global norm bounds the update of an exploding RNN', () => {
  const model = explodingModel();
  const before = model.params().map((p) => p.data.slice());
  const lr = 0.1,
    maxNorm = 1;
  const trainer = new TbpttTrainer(model, { k1: 30, k2: 30, loss: 'mse', optimiser: new Sgd({ learningRate: lr }), clipNorm: maxNorm }, 8);
  const report = trainer.train(rememberFirst(1, 8, 30, false));
  expect(report.gradNorms[0]).toBeGreaterThan(100 * maxNorm); // it really explodes
  expect(globalGradNorm(model.params())).toBeLessThanOrEqual(maxNorm * (1 + 1e-5)); // grads left clipped
  let moved = 0;
  model.params().forEach((p, k) => {
    for (let i = 0; i < p.data.length; i++) moved += (p.data[i] - before[k][i]) ** 2;
  });
  expect(Math.sqrt(moved)).toBeLessThanOrEqual(lr * maxNorm * (1 + 1e-4));
  expect(Math.sqrt(moved)).toBeGreaterThan(lr * maxNorm * 0.99);
});

it('clipping by value clamps each element and keeps direction within range', () => {
  const model = explodingModel();
  const params = model.params();
  params[0].grad.set(Float32Array.from(params[0].grad, (_, i) => (i % 2 === 0 ? 5 : -0.25)));
  const clamped = clipByValue(params, 1);
  expect(clamped).toBe(Math.ceil(params[0].grad.length / 2));
  expect(Math.max(...params[0].grad)).toBe(1);
  expect(Math.min(...params[0].grad)).toBe(-0.25);
  const norm = clipByGlobalNorm(params, 0.5);
  expect(norm).toBeGreaterThan(0.5);
  expect(globalGradNorm(params)).toBeCloseTo(0.5, 5);
});

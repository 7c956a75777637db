import { describe, expect, it } from 'vitest';
import { StackedModel, type ModelConfig } from '../models/stacked-model.js';
import { initialiseWeights } from './init.js';
import { mseLoss } from './losses.js';
import { Adam } from './optimisers.js';
import { SequenceRunner } from './sequence.js';
import { TbpttTrainer, evaluateLoss } from './tbptt.js';
import { rememberFirst } from './testing-tasks.js';

// Remember the first value over 50 steps of distractor noise. Same budget for every cell
// (250 Adam updates of 16 sequences): LSTM and GRU learn it, the Elman RNN stays at the
// variance of the answer (1/3), and its gradient from the last step to the first input vanishes.

const T = 50,
  B = 16,
  EVAL = 128;

function trained(kind: ModelConfig['kind']): StackedModel {
  const model = new StackedModel({ kind, inputSize: 2, units: 8, layers: 1, horizon: 1, outputSize: 1, seed: 3 });
  initialiseWeights(model);
  const trainer = new TbpttTrainer(model, { k1: T, k2: T, loss: 'mse', optimiser: new Adam({ learningRate: 0.02 }), clipNorm: 1 }, B);
  for (let i = 0; i < 250; i++) {
    trainer.resetState();
    trainer.train(rememberFirst(1000 + i, B, T, false));
  }
  return model;
}

/** ‖dL/dx_t‖ of the final-step loss, for the value channel at steps 0 and T-1. */
function inputGradients(model: StackedModel): { first: number; last: number } {
  const data = rememberFirst(99, EVAL, T, true);
  const runner = new SequenceRunner(model, T, EVAL);
  runner.resetInitialState(EVAL);
  const out = runner.forward(T, EVAL, data.inputs, 0, false);
  const dOut = new Float32Array(out.length);
  mseLoss(out, data.targets, T * EVAL, dOut);
  const dIn = new Float32Array(T * EVAL * 2);
  runner.backward(dOut, dIn);
  const norm = (t: number): number => {
    let s = 0;
    for (let b = 0; b < EVAL; b++) s += dIn[(t * EVAL + b) * 2] ** 2;
    return Math.sqrt(s);
  };
  return { first: norm(0), last: norm(T - 1) };
}

const finalStepLoss = (model: StackedModel): number => evaluateLoss(model, rememberFirst(99, EVAL, T, true), 'mse');

describe('remembering the first value over 50 steps', () => {
  it.each(['lstm', 'gru'] as const)('%s learns it and its gradient reaches the first step', (kind) => {
    const model = trained(kind);
    expect(finalStepLoss(model)).toBeLessThan(0.1);
    const g = inputGradients(model);
    expect(g.first).toBeGreaterThan(1e-3);
    expect(g.first / g.last).toBeGreaterThan(1);
  });

  it('the Elman RNN does not: loss stays near 1/3 and the gradient vanishes', () => {
    const model = trained('rnn');
    expect(finalStepLoss(model)).toBeGreaterThan(0.25);
    const g = inputGradients(model);
    expect(g.first).toBeLessThan(1e-6);
    expect(g.first / g.last).toBeLessThan(1e-4);
  });
});

import { describe, expect, it } from 'vitest';
import type { Param } from '../models/cell-config.js';
import { randomArray, randomModel } from '../models/testing/random-model.js';
import { TidecastError } from '../core/errors.js';
import { mseLoss } from './losses.js';
import { Sgd, type Optimiser } from './optimisers.js';
import { Prng } from './prng.js';
import { SequenceRunner } from './sequence.js';
import { TbpttTrainer } from './tbptt.js';

// TBPTT(k1, k2) checked against explicit windows computed with the sequence runner directly.

/** Records the gradients it is given and does not move the weights. */
class Recorder implements Optimiser {
  readonly name = 'recorder';
  readonly steps: Float32Array[][] = [];
  step(params: readonly Param[]): void {
    this.steps.push(params.map((p) => p.grad.slice()));
  }
}

const config = { kind: 'lstm', inputSize: 2, units: 4, layers: 2, horizon: 1, outputSize: 1, seed: 31 } as const;
const N = 12,
  B = 3;

describe('TbpttTrainer', () => {
  it('TBPTT(4, 8): every 4 steps, loss on the last 4, backpropagation over the last 8 from the carried state', () => {
    const model = randomModel(config);
    const x = randomArray(N * B * 2, 1);
    const y = randomArray(N * B, 2);
    const rec = new Recorder();
    const trainer = new TbpttTrainer(model, { k1: 4, k2: 8, loss: 'mse', optimiser: rec }, B);
    const report = trainer.train({ steps: N, batch: B, inputs: x, targets: y });
    expect(report.updates).toBe(3);

    // Window 3 by hand: state at step 4 from a plain forward, then steps 4..11, loss on 8..11.
    const full = new SequenceRunner(model, N, B);
    full.resetInitialState(B);
    full.forward(N, B, x, 0, false);
    const s4 = new Float32Array(B * model.stateSize);
    full.getState(4, s4);
    const runner = new SequenceRunner(model, 8, B);
    runner.setInitialState(s4, B);
    const out = runner.forward(8, B, x, 4 * B * 2, true);
    const targets = y.slice(4 * B, 12 * B).fill(NaN, 0, 4 * B);
    const dOut = new Float32Array(out.length);
    mseLoss(out, targets, 8 * B, dOut);
    model.zeroGrads();
    runner.backward(dOut);
    model.params().forEach((p, i) => {
      expect(Array.from(rec.steps[2][i])).toEqual(Array.from(p.grad));
    });

    // The carried-out state is the state after all N steps.
    const sN = new Float32Array(B * model.stateSize);
    full.getState(N, sN);
    expect(Array.from(trainer.carriedState().subarray(0, B * model.stateSize))).toEqual(Array.from(sN));
  });

  it('carries state between calls: two halves with TBPTT(3, 3) see the same states as one pass', () => {
    const model = randomModel(config);
    const x = randomArray(N * B * 2, 3);
    const y = randomArray(N * B, 4);
    const trainer = new TbpttTrainer(model, { k1: 3, k2: 3, loss: 'mse', optimiser: new Sgd({ learningRate: 0 }) }, B);
    trainer.train({ steps: 6, batch: B, inputs: x.subarray(0, 6 * B * 2), targets: y.subarray(0, 6 * B) });
    trainer.train({ steps: 6, batch: B, inputs: x.subarray(6 * B * 2), targets: y.subarray(6 * B) });
    const full = new SequenceRunner(model, N, B);
    full.resetInitialState(B);
    full.forward(N, B, x, 0, false);
    const sN = new Float32Array(B * model.stateSize);
    full.getState(N, sN);
    expect(Array.from(trainer.carriedState().subarray(0, B * model.stateSize))).toEqual(Array.from(sN));
    trainer.resetState();
    expect(trainer.carriedState().every((v) => v === 0)).toBe(true);
  });

  it('reduces the loss with SGD + momentum on a fixed batch', () => {
    const model = randomModel(config);
    const data = { steps: N, batch: B, inputs: randomArray(N * B * 2, 5), targets: randomArray(N * B, 6, 0.5) };
    const trainer = new TbpttTrainer(
      model,
      { k1: N, k2: N, loss: 'gaussian-nll', optimiser: new Sgd({ learningRate: 0.05, momentum: 0.9 }), clipNorm: 5 },
      B,
    );
    const first = trainer.train(data).meanLoss;
    let last = first;
    for (let i = 0; i < 60; i++) {
      trainer.resetState();
      last = trainer.train(data).meanLoss;
    }
    expect(last).toBeLessThan(first - 0.3);
  });

  it('refuses non-finite inputs with a clear error and skips updates whose gradient is not finite', () => {
    const model = randomModel(config);
    const trainer = new TbpttTrainer(model, { k1: 2, k2: 2, loss: 'mse', optimiser: new Sgd({ learningRate: 0.1 }) }, 2);
    const inputs = randomArray(2 * 2 * 2, 1);
    inputs[3] = Infinity;
    expect(() => trainer.train({ steps: 2, batch: 2, inputs, targets: new Float32Array(4) })).toThrow(/input 3 is Infinity/);
    const before = model.params().map((p) => Array.from(p.data));
    const report = trainer.train({ steps: 2, batch: 2, inputs: randomArray(8, 2), targets: Float32Array.of(3e38, 3e38, 3e38, 0) }); // float32 gradients overflow
    expect(report.skipped).toBe(1);
    expect(report.updates).toBe(0);
    expect(model.params().map((p) => Array.from(p.data))).toEqual(before);
  });

  it('TBPTT(6, 2): every 6 steps, the state advances 4 steps untrained, then 2 steps are trained', () => {
    const model = randomModel(config);
    const x = randomArray(N * B * 2, 11);
    const y = randomArray(N * B, 12);
    const rec = new Recorder();
    const trainer = new TbpttTrainer(model, { k1: 6, k2: 2, loss: 'mse', optimiser: rec }, B);
    expect(trainer.train({ steps: N, batch: B, inputs: x, targets: y }).updates).toBe(2);
    const full = new SequenceRunner(model, N, B);
    full.resetInitialState(B);
    full.forward(N, B, x, 0, false);
    const s10 = new Float32Array(B * model.stateSize);
    full.getState(10, s10);
    const runner = new SequenceRunner(model, 2, B);
    runner.setInitialState(s10, B);
    const out = runner.forward(2, B, x, 10 * B * 2, true);
    const dOut = new Float32Array(out.length);
    mseLoss(out, y.slice(10 * B), 2 * B, dOut);
    model.zeroGrads();
    runner.backward(dOut);
    model.params().forEach((p, i) => {
      expect(Array.from(rec.steps[1][i])).toEqual(Array.from(p.grad));
    });
    const sN = new Float32Array(B * model.stateSize);
    full.getState(N, sN);
    expect(Array.from(trainer.carriedState().subarray(0, B * model.stateSize))).toEqual(Array.from(sN));
  });

  it('rejects bad k1/k2 and oversized batches', () => {
    const model = randomModel(config);
    expect(() => new TbpttTrainer(model, { k1: 0, k2: 3, loss: 'mse', optimiser: new Sgd({ learningRate: 0.1 }) }, 2)).toThrow(
      TidecastError,
    );
    const trainer = new TbpttTrainer(model, { k1: 2, k2: 2, loss: 'mse', optimiser: new Sgd({ learningRate: 0.1 }) }, 2);
    expect(() => trainer.train({ steps: 2, batch: 3, inputs: new Float32Array(12), targets: new Float32Array(6) })).toThrow(RangeError);
  });
});

describe('dropout between layers', () => {
  it('is off in inference, on in training, and its gradient matches finite differences under a fixed mask', () => {
    const model = randomModel({ ...config, dropout: 0.4 });
    const plain = randomModel({ ...config, dropout: 0 });
    plain.params().forEach((p, i) => {
      p.data.set(model.params()[i].data);
    });
    const T = 5;
    const x = randomArray(T * B * 2, 7);
    const y = randomArray(T * B, 8);
    const runner = new SequenceRunner(model, T, B);
    const ref = new SequenceRunner(plain, T, B);
    runner.resetInitialState(B);
    ref.resetInitialState(B);
    expect(Array.from(runner.forward(T, B, x, 0, false))).toEqual(Array.from(ref.forward(T, B, x, 0, false)));
    const trainOut = runner.forward(T, B, x, 0, true, new Prng(1)).slice();
    expect(Array.from(trainOut)).not.toEqual(Array.from(ref.outputs));

    const loss = (): number => {
      const out = runner.forward(T, B, x, 0, true, new Prng(1)); // same masks each time
      return mseLoss(out, y, T * B, new Float32Array(out.length));
    };
    const out = runner.forward(T, B, x, 0, true, new Prng(1));
    const dOut = new Float32Array(out.length);
    mseLoss(out, y, T * B, dOut);
    model.zeroGrads();
    runner.backward(dOut);
    const kernel0 = model.cells[0].params[0];
    const g = kernel0.grad.slice();
    const eps = 4e-3;
    for (let i = 0; i < kernel0.data.length; i += 3) {
      const orig = kernel0.data[i];
      kernel0.data[i] = orig + eps;
      const up = loss();
      kernel0.data[i] = orig - eps;
      const down = loss();
      kernel0.data[i] = orig;
      const fd = (up - down) / (2 * eps);
      expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
    }
  });
});

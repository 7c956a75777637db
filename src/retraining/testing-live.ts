import type { ModelSection } from '../config/sections.js';
import { ModelRunner } from '../engine/model-runner.js';
import type { Retrainer } from './retrainer.js';
import type { RetrainSettings } from './retrainer.js';

// Test and benchmark support: a live loop over a ModelRunner with one input per stream (the value
// itself, normaliser mean 0 and std 1), feeding a retrainer the way the engine's tap does.

export function testRunner(units = 8, seed = 1, horizon = 1): ModelRunner {
  const spec = { cell: 'gru', layers: 1, units, horizon, seed, interval_z: 1.96 } as ModelSection;
  return new ModelRunner(spec, 1);
}

export class LiveLoop {
  readonly slots: Int32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  t = 0;

  constructor(
    readonly runner: ModelRunner,
    readonly keys: readonly string[],
    readonly retrainer?: Retrainer,
  ) {
    this.slots = Int32Array.from(keys.map((k) => runner.slotOf(k)));
    this.x = new Float32Array(keys.length);
    this.y = new Float32Array(keys.length * runner.outputWidth);
  }

  /** One step of every stream; returns the one-step forecast of the next value per stream. */
  step(values: ArrayLike<number>, forecasts?: Float64Array): void {
    const n = this.keys.length;
    for (let i = 0; i < n; i++) this.x[i] = values[i];
    this.runner.step(this.slots, n, this.x, this.y);
    const w = this.runner.outputWidth;
    for (let i = 0; i < n; i++) {
      this.retrainer?.observe(this.keys[i], this.t, this.x, i, values[i], 0, 1, false, false, this.y[i * w]);
      if (forecasts !== undefined) forecasts[i] = values[i] + this.y[i * w];
    }
    this.t += 60_000;
  }
}

/** Small, fast settings for tests. */
export function testSettings(overrides: Partial<RetrainSettings> = {}): RetrainSettings {
  return {
    bufferSteps: 256,
    bufferStreams: 64,
    windowSteps: 256,
    windowStreams: 16,
    minSteps: 32,
    train: {
      k1: 16,
      k2: 16,
      learningRate: 0.02,
      clipNorm: 1,
      maxEpochs: 40,
      patience: 6,
      loss: 'mse',
      compareOn: 'mse',
      warmStart: true,
      validationFraction: 0.2,
      maxTimeMs: 20_000,
    },
    schedule: { everyMs: 0, everySteps: 0, driftFactor: 0, baselineSteps: 50, errorAlpha: 0.05 },
    margin: 0.05,
    rewarmSteps: 48,
    deterministic: false,
    applyAfterSteps: 0,
    checkSteps: 1,
    ...overrides,
  };
}

/** Value of stream s at step k: a sine of the given period and level, phase-shifted per stream. */
export function wave(s: number, k: number, period: number, level: number, amp = 1): number {
  return level + amp * Math.sin((2 * Math.PI * k) / period + s * 0.7);
}

import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { FitData } from './fit-data.js';
import { ModelRunner } from '../engine/model-runner.js';
import { offlineFit, StreamBatches } from './offline-fit.js';

// The offline fit scales with the streams: every epoch covers every stream once in batches of
// max_streams (seeded shuffle), the work is bounded by max_batches, and time is only a logged cap.

const IN = 2;
const H = 2;

function spec(offline: string): PipelineSpec {
  const r = parsePipelineText(
    `name: f
step_ms: 60000
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 6, horizon: ${H}, seed: 4 }
training: { offline: ${offline} }
state: { dir: var/state/f }
`,
    'f.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** S sine streams of N steps; input 0 of stream s is s (to see which streams a batch holds). */
function data(S: number, N: number): FitData {
  const inputs = new Float32Array(N * S * IN);
  const targets = new Float32Array(N * S * H);
  for (let t = 0; t < N; t++) {
    for (let s = 0; s < S; s++) {
      const v = (k: number) => Math.sin((2 * Math.PI * k) / 12 + s);
      inputs[(t * S + s) * IN] = s;
      inputs[(t * S + s) * IN + 1] = v(t);
      for (let h = 1; h <= H; h++) targets[(t * S + s) * H + h - 1] = v(t + h) - v(t);
    }
  }
  return { steps: N, batch: S, inputs, targets, streams: Array.from({ length: S }, (_, s) => `s${s}`), rows: N * S };
}

function runFit(offline: string, d: FitData, now?: () => number) {
  const sp = spec(offline);
  const runner = new ModelRunner(sp.model, IN);
  return offlineFit(sp, runner, d, undefined, now);
}

describe('offline fit', () => {
  it('covers every stream once per epoch in seeded batches of max_streams', () => {
    const d = data(10, 24);
    const batches = new StreamBatches(d, 4, 7);
    // Five batches of 4 are 20 stream slots: two shuffles of the 10 streams, each holding every stream once.
    const slots: number[] = [];
    for (let i = 0; i < 5; i++) {
      const b = batches.next();
      for (let j = 0; j < 4; j++) slots.push(b.inputs[j * IN]);
    }
    expect([...slots.slice(0, 10)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...slots.slice(10)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(slots.slice(10)).not.toEqual(slots.slice(0, 10));
    // The same seed draws the same batches.
    const again = new StreamBatches(d, 4, 7);
    const other = new StreamBatches(d, 4, 8);
    const firstOf = (b: StreamBatches) => Array.from(b.next().inputs.subarray(0, 4 * IN));
    expect(firstOf(again)).toEqual(firstOf(new StreamBatches(d, 4, 7)));
    expect(firstOf(other)).not.toEqual(firstOf(new StreamBatches(d, 4, 7)));
  });

  it('runs epochs × ceil(streams / max_streams) batches, learns, and is a function of data and settings', () => {
    const d = data(10, 48);
    const a = runFit('{ steps: 48, max_streams: 4, epochs: 3, tbptt_steps: 12 }', d);
    expect([a.streams, a.batchStreams, a.batches, a.epochs, a.steps, a.cut]).toEqual([10, 4, 9, 3, 48, undefined]);
    expect(a.finalLoss).toBeLessThan(a.initialLoss);
    const b = runFit('{ steps: 48, max_streams: 4, epochs: 3, tbptt_steps: 12 }', d);
    expect(b.version).toBe(a.version);
    expect(b.finalLoss).toBe(a.finalLoss);
    // All streams in one batch: one batch per epoch.
    const whole = runFit('{ steps: 48, max_streams: 32, epochs: 3, tbptt_steps: 12 }', d);
    expect([whole.batchStreams, whole.batches]).toEqual([10, 3]);
  });

  it('stops at max_batches, and at max_time_ms only as a reported safety cap', () => {
    const d = data(10, 24);
    const capped = runFit('{ steps: 24, max_streams: 4, epochs: 5, max_batches: 7, tbptt_steps: 12 }', d);
    expect([capped.batches, capped.epochs, capped.cut]).toEqual([7, 3, 'max_batches']);
    let clock = 0;
    const timed = runFit('{ steps: 24, max_streams: 4, epochs: 5, max_time_ms: 100, tbptt_steps: 12 }', d, () => (clock += 30));
    expect(timed.cut).toBe('max_time_ms');
    expect(timed.batches).toBeLessThan(15);
  });
});

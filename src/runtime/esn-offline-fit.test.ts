import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { ModelRunner } from '../engine/model-runner.js';
import type { FitData } from './fit-data.js';
import { offlineFit } from './offline-fit.js';

// model.cell: esn in a pipeline file: the schema's rules, and the offline fit that fits the readout
// alone (ridge, no epochs) while the reservoir stays as seeded.

const H = 3;

function parse(model: string, training = ''): ReturnType<typeof parsePipelineText> {
  return parsePipelineText(
    `name: e
step_ms: 60000
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: ${model}
${training}
state: { dir: var/state/e }
`,
    'e.yaml',
  );
}

function spec(model: string): PipelineSpec {
  const r = parse(model);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

function sines(S: number, N: number): FitData {
  const inputs = new Float32Array(N * S);
  const targets = new Float32Array(N * S * H);
  for (let t = 0; t < N; t++) {
    for (let s = 0; s < S; s++) {
      const v = (k: number) => Math.sin((2 * Math.PI * k) / 24 + s);
      inputs[t * S + s] = v(t);
      for (let h = 1; h <= H; h++) targets[(t * S + s) * H + h - 1] = v(t + h) - v(t);
    }
  }
  return { steps: N, batch: S, inputs, targets, streams: Array.from({ length: S }, (_, s) => `s${s}`), rows: N * S };
}

describe('model.cell: esn', () => {
  it('is accepted with its settings, and rejected with online retraining or esn settings on another cell', () => {
    expect(parse('{ cell: esn, units: 20, horizon: 3, esn: { spectral_radius: 0.8, leak_rate: 0.5 } }').ok).toBe(true);
    const online = parse('{ cell: esn, units: 20, horizon: 3 }', 'training: { online: { enabled: true } }');
    expect(online.ok).toBe(false);
    if (!online.ok) expect(online.issues.map((i) => i.message).join()).toMatch(/not trained by backpropagation/);
    expect(parse('{ cell: gru, units: 20, horizon: 3, esn: { leak_rate: 0.5 } }').ok).toBe(false);
    expect(parse('{ cell: esn, units: 20, horizon: 3, esn: { leak_rate: 0 } }').ok).toBe(false);
  });

  it('fits the readout only (ridge, no epochs): the reservoir is unchanged and the loss falls', () => {
    const sp = spec('{ cell: esn, units: 30, horizon: 3, seed: 2, esn: { washout_steps: 12, ridge: 0.0001 } }');
    const runner = new ModelRunner(sp.model, 1);
    expect(runner.version).toBe('esn-init-s2');
    const reservoir = runner.model.cells[0].params.map((p) => p.data.slice());
    const report = offlineFit(sp, runner, sines(4, 200));
    expect(report.method).toBe('esn-ridge-readout');
    expect([report.epochs, report.batches]).toEqual([0, 0]);
    expect(report.readout?.rows).toBe(4 * (200 - 12));
    expect(report.readout!.trainMse).toBeLessThan(0.01 * report.readout!.zeroMse);
    expect(report.finalLoss).toBeLessThan(report.initialLoss);
    runner.model.cells[0].params.forEach((p, i) => {
      expect(p.data).toEqual(reservoir[i]);
    });
    expect(runner.version).toMatch(/^esn-ridge-/);
    // Served forecasts step on the batched stepper (no fused ESN kernel) and read the fitted head.
    expect(runner.engine).toBe('batched');
    const slots = new Int32Array([runner.slotOf('a')]);
    const out = new Float32Array(runner.outputWidth);
    for (let t = 0; t < 100; t++) runner.step(slots, 1, new Float32Array([Math.sin((2 * Math.PI * t) / 24)]), out);
    const next = (h: number) => Math.sin((2 * Math.PI * (99 + h)) / 24) - Math.sin((2 * Math.PI * 99) / 24);
    for (let h = 1; h <= H; h++) expect(Math.abs(out[2 * (h - 1)] - next(h))).toBeLessThan(0.05);
  });
});

import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { DeadLetter, Forecast, Observation } from '../core/types.js';
import { Prng } from '../training/prng.js';
import { PipelineEngine, type StepRow } from './pipeline-engine.js';

const HOUR = 3_600_000;

function spec(cell: string): PipelineSpec {
  const r = parsePipelineText(`name: t
step_ms: ${HOUR}
ordering: { max_delay_ms: ${HOUR} }
sources: [{ kind: file, path: x.csv, key_column: stream }]
features: { calendar: true }
model: { cell: ${cell}, layers: 2, units: 6, horizon: 4, seed: 3 }
alerting: { rules: [{ name: r, warning: 0.99 }] }
state: { dir: var/t }
`, 't.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** Three streams, hourly with jitter, a few gaps, one long gap, a late record and bad values. */
function observations(): Observation[] {
  const rng = new Prng(42);
  const out: Observation[] = [];
  for (let i = 0; i < 300; i++) {
    for (const [k, key] of ['a', 'b', 'c'].entries()) {
      if ((i + k) % 37 === 0 || (k === 2 && i > 100 && i < 120)) continue;
      const t = i * HOUR + Math.floor(rng.uniform(0, HOUR));
      const v = 10 * (k + 1) + 5 * Math.sin(i / 12 + k) + rng.normal();
      out.push({ key, eventTime: t, fields: { value: v } });
    }
  }
  out.push({ key: 'a', eventTime: 5 * HOUR, fields: { value: 1 } }); // late
  out.push({ key: 'b', eventTime: 301 * HOUR, fields: { value: NaN } });
  out.push({ key: 'c', eventTime: 301 * HOUR, fields: { other: 1 } });
  return out;
}

interface Run { forecasts: Forecast[]; rows: StepRow[]; dead: DeadLetter[] }

/** A non-zero head, so that forecasts depend on the recurrent state (the init head is zero). */
function withRandomHead(engine: PipelineEngine): PipelineEngine {
  const rng = new Prng(99);
  const k = engine.runner.model.headKernel.data;
  for (let i = 0; i < k.length; i++) k[i] = rng.uniform(-0.5, 0.5);
  return engine;
}

function listener(run: Run) {
  return { forecast: (f: Forecast) => run.forecasts.push(f), step: (r: StepRow) => run.rows.push(r), deadLetter: (d: DeadLetter) => run.dead.push(d) };
}

describe.each(['gru', 'lstm', 'rnn'])('PipelineEngine (%s)', (cell) => {
  it('gives the same forecasts whatever the batching, and after a snapshot/restore in the middle', () => {
    const s = spec(cell);
    const obs = observations();
    const whole: Run = { forecasts: [], rows: [], dead: [] };
    withRandomHead(new PipelineEngine(s, listener(whole))).ingest(obs);

    const split: Run = { forecasts: [], rows: [], dead: [] };
    let engine = withRandomHead(new PipelineEngine(s, listener(split)));
    const rng = new Prng(7);
    let i = 0;
    let restored = false;
    while (i < obs.length) {
      const n = 1 + Math.floor(rng.uniform(0, 40));
      engine.ingest(obs.slice(i, i + n));
      i += n;
      if (!restored && i > obs.length / 2) {
        // Through JSON, as the checkpoint file does.
        const snap = JSON.parse(JSON.stringify(engine.snapshot()));
        const weights = JSON.parse(JSON.stringify(engine.runner.exportWeights()));
        engine = new PipelineEngine(s, listener(split));
        engine.runner.importWeights(weights);
        engine.restore(snap);
        restored = true;
      }
    }
    const key = (f: Forecast) => `${f.key}|${f.t}`;
    const byKey = (fs: Forecast[]) => new Map(fs.map((f) => [key(f), [Array.from(f.mean), Array.from(f.lower), Array.from(f.upper)]]));
    expect(split.forecasts.length).toBe(whole.forecasts.length);
    expect(byKey(split.forecasts)).toEqual(byKey(whole.forecasts));
    expect(split.rows.map((r) => [r.key, r.t, r.forecast, r.lower, r.upper, r.score])).toEqual(
      expect.arrayContaining(whole.rows.map((r) => [r.key, r.t, r.forecast, r.lower, r.upper, r.score])),
    );
    expect(split.dead.map((d) => d.code).sort()).toEqual(whole.dead.map((d) => d.code).sort());
  });

  it('dead-letters bad records with a code instead of dropping or throwing', () => {
    const run: Run = { forecasts: [], rows: [], dead: [] };
    const engine = new PipelineEngine(spec(cell), listener(run));
    engine.ingest(observations());
    expect(run.dead.map((d) => d.code).sort()).toEqual(['late_record', 'non_finite', 'schema_mismatch']);
    expect(engine.stats.deadLetters).toEqual({ late_record: 1, non_finite: 1, schema_mismatch: 1 });
    for (const f of run.forecasts) {
      for (let h = 0; h < 4; h++) {
        expect(Number.isFinite(f.mean[h])).toBe(true);
        expect(f.lower[h]).toBeLessThanOrEqual(f.mean[h]);
        expect(f.upper[h]).toBeGreaterThanOrEqual(f.mean[h]);
      }
    }
    // A one-step forecast row for every step that had one: all steps but each segment's first.
    expect(run.rows.length).toBe(engine.stats.steps - 4); // a, b, c start + c restarts after its long gap
  });
});

import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { Observation } from '../core/types.js';
import { Prng } from '../training/prng.js';
import { ForecastAccuracy } from '../forecasting/forecast-accuracy.js';
import { PipelineEngine, type StepRow } from './pipeline-engine.js';

// ForecastAccuracy fed by the engine's listener (actual + forecast, as bench:accuracy feeds it) must
// pair at h = 1 exactly what the engine's own step rows pair (the one-step forecast pending for a
// step, as `tidecast replay` writes it), with imputed targets and origins left out.

const HOUR = 3_600_000;

function observations(): Observation[] {
  const rng = new Prng(7);
  const out: Observation[] = [];
  for (let i = 0; i < 400; i++) {
    for (const [k, key] of ['a', 'b', 'c'].entries()) {
      // Short gaps (imputed by linear interpolation) and one gap longer than max_gap_steps.
      if ((i + 3 * k) % 29 === 0 || (i + k) % 31 === 0 || (k === 1 && i > 200 && i < 215)) continue;
      const v = 50 * (k + 1) + 10 * Math.sin((2 * Math.PI * i) / 24 + k) + 2 * rng.normal();
      out.push({ key, eventTime: i * HOUR, fields: { value: v } });
    }
  }
  return out;
}

describe('ForecastAccuracy on the engine', () => {
  it('scores h = 1 as the engine step rows pair forecasts with actuals', () => {
    const parsed = parsePipelineText(
      `name: t
step_ms: ${HOUR}
sources: [{ kind: file, path: x.csv, key_column: stream }]
impute: { method: linear, max_gap_steps: 6 }
model: { cell: gru, layers: 1, units: 8, horizon: 3, seed: 5 }
state: { dir: var/t }
`,
      't.yaml',
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const acc = new ForecastAccuracy({ stepMs: HOUR, horizons: [1, 3] });
    const rows: StepRow[] = [];
    const steps = new Map<string, { value: number; imputed: boolean }>();
    const engine = new PipelineEngine(parsed.value.pipelines[0], {
      actual: (key, t, value, imputed) => {
        acc.actual(key, t, value, imputed);
        steps.set(`${key}@${t}`, { value, imputed });
      },
      forecast: (f) => acc.forecast(f.key, f.t, f.mean, f.lower, f.upper),
      step: (r) => rows.push(r),
    });
    const obs = observations();
    for (let i = 0; i < obs.length; i += 100) engine.ingest(obs.slice(i, i + 100));
    engine.flush();

    // The same pairs from the step rows alone: observed target, observed origin one step earlier.
    const perStream = new Map<string, { se: number; seNaive: number }>();
    let n = 0;
    let se = 0;
    let ae = 0;
    let seNaive = 0;
    let inBand = 0;
    let width = 0;
    let imputedSkipped = 0;
    for (const r of rows) {
      const origin = steps.get(`${r.key}@${r.t - HOUR}`);
      if (r.imputed || origin === undefined || origin.imputed) {
        imputedSkipped++;
        continue;
      }
      const e = r.forecast - r.actual;
      const eNaive = origin.value - r.actual;
      n++;
      se += e * e;
      ae += Math.abs(e);
      seNaive += eNaive * eNaive;
      if (r.actual >= r.lower && r.actual <= r.upper) inBand++;
      width += r.upper - r.lower;
      const s = perStream.get(r.key) ?? { se: 0, seNaive: 0 };
      s.se += e * e;
      s.seNaive += eNaive * eNaive;
      perStream.set(r.key, s);
    }
    expect(imputedSkipped).toBeGreaterThan(20); // the gaps did produce imputed steps to skip
    const s = acc.summary()['1'];
    expect(s.pairs).toBe(n);
    expect(s.streams).toBe(3);
    expect(s.model.mse).toBeCloseTo(se / n, 9);
    expect(s.model.mae).toBeCloseTo(ae / n, 9);
    expect(s.naive.mse).toBeCloseTo(seNaive / n, 9);
    expect(s.model.coverage95).toBeCloseTo(inBand / n, 12);
    expect(s.model.width95).toBeCloseTo(width / n, 9);
    const ratios = [...perStream.values()].map((p) => p.se / p.seNaive);
    expect(s.model.mseRatio).toBeCloseTo(ratios.reduce((a, b) => a + b, 0) / ratios.length, 9);
    // Bucket 3 holds h = 1 too, plus h = 2, 3.
    expect(acc.summary()['3'].pairs).toBeGreaterThan(2 * n);
  });
});

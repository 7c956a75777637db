// Forecast accuracy under the online-forecasting protocol (issue 9): for every step of the online
// phase, forecast, then learn from the new truth. Runs src/forecasting's OnlineForecaster directly
// (see benchmarks/README.md), with naive and seasonal-naive baselines scored in the same pass.
// `npm run bench:accuracy [-- --json] [-- --data DIR]`.
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPipelineFile } from '../src/config/load-pipeline.js';
import { OnlineForecaster, RecurrentReservoir, applyZScore, defaultProfiles, fitZScore } from '../src/forecasting/index.js';
import { loadDataset, type AccuracyDataset } from './accuracy-data.js';

const HORIZONS = [1, 24] as const;
const PUBLISHED: Record<string, Record<string, number>> = {
  'naive (paper)': { ETTh2: 0.404, ETTm1: 0.091, WTH: 0.207 },
  'FSNet': { ETTh2: 0.466, ETTm1: 0.085, WTH: 0.162 },
  'OneNet': { ETTh2: 0.38, ETTm1: 0.082, WTH: 0.156 },
  'LSTD': { ETTh2: 0.377, ETTm1: 0.081, WTH: 0.153 },
};

type Method = 'tidecast' | 'naive' | 'seasonalNaive';
type Scores = Record<Method, { mse: number; mae: number }>;

interface Sums {
  se: Float64Array;
  ae: Float64Array;
  n: Float64Array;
}

export function evaluate(ds: AccuracyDataset): { scores: Record<string, Scores>; seconds: number; imputed: number } {
  const started = performance.now();
  const { columns: c, season } = ds;
  const z = ds.values.slice();
  applyZScore(z, c, fitZScore(z, c, ds.train));
  const horizon = Math.max(...HORIZONS);
  // A seeded (untrained) 16-unit GRU as reservoir: its hidden state feeds every RLS head.
  const reservoir = new RecurrentReservoir({ kind: 'gru', inputSize: c, units: 16, layers: 1, seed: 3 });
  const hidden = new Float64Array(reservoir.size);
  const model = new OnlineForecaster({ columns: c, horizon, season, profiles: defaultProfiles(horizon), extraFeatures: reservoir.size });
  const out = new Float64Array(horizon * c);
  // sums[H] index: method 0..2.
  const sums: Sums[] = HORIZONS.map(() => ({ se: new Float64Array(3), ae: new Float64Array(3), n: new Float64Array(3) }));
  for (let t = 0; t < ds.testEnd; t++) {
    // Origin t: rows 0..t-1 are known; forecast rows t..t+H-1, score, then observe row t.
    if (t >= ds.testStart) {
      model.forecast(out);
      HORIZONS.forEach((H, hi) => {
        if (t + H > ds.testEnd) return;
        const s = sums[hi];
        for (let h = 1; h <= H; h++) {
          const truth = (t + h - 1) * c;
          const last = (t - 1) * c;
          const seasonal = (t + h - 1 - season) * c;
          for (let j = 0; j < c; j++) {
            const y = z[truth + j];
            const e0 = out[(h - 1) * c + j] - y;
            const e1 = z[last + j] - y;
            const e2 = z[seasonal + j] - y;
            s.se[0] += e0 * e0;
            s.ae[0] += Math.abs(e0);
            s.se[1] += e1 * e1;
            s.ae[1] += Math.abs(e1);
            s.se[2] += e2 * e2;
            s.ae[2] += Math.abs(e2);
          }
          s.n[0] += c;
        }
      });
    }
    const row = z.subarray(t * c, t * c + c);
    reservoir.step(row, hidden);
    model.observe(ds.timesMs[t], row, hidden);
  }
  const scores: Record<string, Scores> = {};
  HORIZONS.forEach((H, hi) => {
    const s = sums[hi];
    const m = (i: number) => ({ mse: s.se[i] / s.n[0], mae: s.ae[i] / s.n[0] });
    scores[String(H)] = { tidecast: m(0), naive: m(1), seasonalNaive: m(2) };
  });
  return { scores, seconds: (performance.now() - started) / 1000, imputed: model.imputed };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dataAt = args.indexOf('--data');
  const root = new URL('..', import.meta.url).pathname;
  const result: Record<string, Record<string, Scores>> = {};
  const timing: Record<string, number> = {};
  for (const name of ['ETTh2', 'ETTm1', 'WTH'] as const) {
    // The data set's pipeline file must validate; its file source names the CSV (unless --data).
    const loaded = await loadPipelineFile(resolve(root, 'pipelines', `${name.toLowerCase()}.yaml`));
    if (!loaded.ok) throw new Error(`pipelines/${name.toLowerCase()}.yaml: ${loaded.issues.map((i) => i.message).join('; ')}`);
    const source = loaded.value.pipelines[0].sources.find((s) => s.kind === 'file');
    const dir = dataAt >= 0 ? args[dataAt + 1] : source && 'path' in source ? dirname(resolve(root, source.path)) : resolve(root, '../shared/data');
    const ds = loadDataset(dir, name);
    const r = evaluate(ds);
    result[name] = r.scores;
    timing[name] = r.seconds;
    if (!json) console.error(`${name}: ${ds.rows} rows × ${ds.columns} columns, online phase ${ds.testStart}-${ds.testEnd}, ${r.seconds.toFixed(1)} s${r.imputed ? `, ${r.imputed} non-finite values imputed` : ''}`);
  }
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const f = (x: number) => x.toFixed(3);
  console.log('\nMSE / MAE on the z-scored scale (z-score fitted on training rows only)');
  console.log('| H | method | ETTh2 | ETTm1 | WTH |\n|---|---|---|---|---|');
  for (const H of HORIZONS) {
    for (const m of ['tidecast', 'naive', 'seasonalNaive'] as const) {
      const cells = (['ETTh2', 'ETTm1', 'WTH'] as const).map((d) => `${f(result[d][String(H)][m].mse)} / ${f(result[d][String(H)][m].mae)}`);
      console.log(`| ${H}${H > 1 ? ' (leak-free)' : ''} | ${m} | ${cells.join(' | ')} |`);
    }
    if (H === 1) {
      for (const [name, row] of Object.entries(PUBLISHED)) console.log(`| 1 | ${name} (published MSE) | ${f(row.ETTh2)} | ${f(row.ETTm1)} | ${f(row.WTH)} |`);
    }
  }
  console.log(`\nseconds per data set: ${Object.entries(timing).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
}

await main();

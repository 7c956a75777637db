import { OnlineForecaster, applyZScore, fitZScore, type HeadProfile } from '/work/main/src/forecasting/index.js';
import { loadDataset } from '/work/main/benchmarks/accuracy-data.js';
const name = process.argv[2] as 'ETTh2';
const ds = loadDataset('/work/shared/data', name);
const c = ds.columns; const z = ds.values.slice(); applyZScore(z, c, fitZScore(z, c, ds.train));
for (const [lags, scale, lam, seasonal] of [[2,3e-5,1,true],[2,1e-5,1,true],[4,3e-5,1,true],[2,1e-4,1,false]] as const) {
  const profiles: HeadProfile[] = [{ from: 1, to: 1, lags: 8, forgetting: 0.9999, initialScale: 1, seasonal: false }, { from: 2, to: 24, lags, forgetting: lam, initialScale: scale, seasonal }];
  const m = new OnlineForecaster({ columns: c, horizon: 24, season: ds.season, profiles });
  const out = new Float64Array(24 * c); let se = 0, n = 0;
  for (let t = 0; t < ds.testEnd; t++) {
    if (t >= ds.testStart && t + 24 <= ds.testEnd) { m.forecast(out); for (let i = 0; i < 24 * c; i++) { const e = out[i] - z[t * c + i]; se += e * e; n++; } }
    m.observe(ds.timesMs[t], z.subarray(t * c, t * c + c));
  }
  console.log(name, lags, scale, lam, seasonal, (se / n).toFixed(4));
}

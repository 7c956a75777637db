// The in-process reference of the accuracy bench (`-- --check`): RecurrentReservoir + OnlineForecaster
// driven directly over the z-scored CSV rows, with the settings of the pipelines' model.online_head.
// The replay path must give the same errors (it runs the same mechanism inside the engine).
import { OnlineForecaster, RecurrentReservoir, applyZScore, defaultProfiles, fitZScore } from '../src/forecasting/index.js';
import type { HorizonScores } from '../src/forecasting/online-head-score.js';
import type { AccuracyDataset } from './accuracy-data.js';

export function evaluateInProcess(ds: AccuracyDataset, horizons: readonly number[], horizon = 24): Record<string, HorizonScores> {
  const { columns: c, season } = ds;
  const z = ds.values.slice();
  applyZScore(z, c, fitZScore(z, c, ds.train));
  const reservoir = new RecurrentReservoir({ kind: 'gru', inputSize: c, units: 16, layers: 1, seed: 3 });
  const hidden = new Float64Array(reservoir.size);
  const model = new OnlineForecaster({ columns: c, horizon, season, profiles: defaultProfiles(horizon), extraFeatures: reservoir.size });
  const out = new Float64Array(horizon * c);
  const sums = horizons.map(() => ({ se: [0, 0, 0], ae: [0, 0, 0], n: 0 }));
  for (let t = 0; t < ds.testEnd; t++) {
    // Origin t: rows 0..t-1 are known; forecast rows t..t+H-1, score, then observe row t.
    if (t >= ds.testStart) {
      model.forecast(out);
      horizons.forEach((H, hi) => {
        if (t + H > ds.testEnd) return;
        const s = sums[hi];
        for (let h = 1; h <= H; h++) {
          for (let j = 0; j < c; j++) {
            const y = z[(t + h - 1) * c + j];
            const e = [out[(h - 1) * c + j] - y, z[(t - 1) * c + j] - y, z[(t + h - 1 - season) * c + j] - y];
            for (let m = 0; m < 3; m++) {
              s.se[m] += e[m] * e[m];
              s.ae[m] += Math.abs(e[m]);
            }
          }
          s.n += c;
        }
      });
    }
    const row = z.subarray(t * c, t * c + c);
    reservoir.step(row, hidden);
    model.observe(ds.timesMs[t], row, hidden);
  }
  const scores: Record<string, HorizonScores> = {};
  horizons.forEach((H, hi) => {
    const s = sums[hi];
    const m = (i: number) => ({ mse: s.se[i] / s.n, mae: s.ae[i] / s.n });
    scores[String(H)] = { tidecast: m(0), naive: m(1), seasonalNaive: m(2) };
  });
  return scores;
}

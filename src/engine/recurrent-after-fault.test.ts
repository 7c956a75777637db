import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import { Prng } from '../training/prng.js';
import { createLogger } from '../telemetry/logger.js';
import { ForecastAccuracy } from '../forecasting/forecast-accuracy.js';
import { PipelineEngine } from './pipeline-engine.js';
import { replayInto } from '../runtime/replay/replay.js';

// The recurrent model's own forecasts (model.forecaster: recurrent), fitted at start as the daemon
// does, on AR(1) streams (x_t = 0.5 x_{t-1} + e_t, where the best one-step forecast is 25% better
// than persistence). The model forecasts changes in units of the normaliser's scale, so that scale
// must mean the same after the fit as during it: here a sensor fault (every stream stuck 60 noise
// sds off for 100 steps) follows the fit window. A plain cumulative zscore's scale grows ~18-fold
// on it for good and the model's mean reversion then pulls towards the dragged centre, several
// data units off (ETTh2's LULL: recurrent H=1 MSE 5x persistence's). Winsorised, the scale and
// centre barely move and the model keeps its edge over persistence after the fault.

const HOUR = 3_600_000;
const STEPS = 1600;
const FAULT = [700, 800] as const;

async function writeSeries(path: string): Promise<void> {
  const rng = new Prng(21);
  const streams = ['a', 'b', 'c', 'd'];
  const x = streams.map(() => 0);
  const lines = ['timestamp,stream,value'];
  for (let t = 0; t < STEPS; t++) {
    streams.forEach((key, k) => {
      x[k] = 0.5 * x[k] + rng.normal();
      const stuck = t >= FAULT[0] && t < FAULT[1];
      lines.push(`${new Date(t * HOUR).toISOString()},${key},${(10 * (k + 1) + (stuck ? -60 : x[k])).toFixed(6)}`);
    });
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

describe('recurrent model after a sensor fault', () => {
  it('fitted at start on AR(1) streams, its one-step forecasts after a stuck stretch beat persistence', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-fault-'));
    try {
      const input = join(dir, 'ar.csv');
      await writeSeries(input);
      const parsed = parsePipelineText(
        `name: ar
step_ms: ${HOUR}
sources: [{ kind: file, path: ${input}, key_column: stream }]
normalise: { method: zscore }
model: { cell: gru, layers: 1, units: 16, horizon: 4, seed: 9, forecaster: recurrent }
training: { offline: { steps: 512, epochs: 4 } }
state: { dir: ${join(dir, 'state')} }
`,
        'ar.yaml',
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const acc = new ForecastAccuracy({ stepMs: HOUR, horizons: [1], counts: (o) => o >= FAULT[1] + 100 });
      const engine = new PipelineEngine(parsed.value.pipelines[0], {
        actual: (key, t, value, imputed) => acc.actual(key, t, value, imputed),
        forecast: (f) => acc.forecast(f.key, f.t, f.mean, f.lower, f.upper),
      });
      await replayInto(engine, input, createLogger({ level: 'error', destination: process.stderr as never }));
      const s = acc.summary()['1'];
      expect(s.streams).toBe(4);
      expect(s.pairs).toBeGreaterThan(4 * 600);
      // Mean over streams of the model's MSE / persistence's: the AR's best is 0.75 (this fit: 0.93; plain zscore: 9.4).
      expect(s.model.mseRatio).toBeLessThan(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

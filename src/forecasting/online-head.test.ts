import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../connectors/file/file-source.js';
import { PipelineSpec } from '../config/pipeline-schema.js';
import type { Observation } from '../core/types.js';
import { OnlineForecaster, RecurrentReservoir, applyZScore, defaultProfiles, fitZScore } from './index.js';
import { createLogger } from '../telemetry/logger.js';
import { readHeadReplay, scoreHeadReplay } from './online-head-score.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { headCsvRows, replayFile, replaySourceConfig } from '../runtime/replay/replay.js';

// The multivariate online head runs inside the engine: `tidecast replay`'s output must carry exactly
// the forecasts that src/forecasting's OnlineForecaster makes in-process on the same rows, and a
// restart from an engine snapshot mid-replay must continue exactly as the uninterrupted run.

const C = 3;
const ROWS = 600;
const FIT = 200;
const H = 6;
const SEASON = 24;
const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);

/** Three coupled hourly series: daily cycle, AR(1) noise, b follows a with a lag (seeded). */
function syntheticRows(): number[][] {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648 - 0.5;
  };
  const rows: number[][] = [];
  let noise = 0;
  for (let t = 0; t < ROWS; t++) {
    noise = 0.8 * noise + rand();
    const a = 10 + 3 * Math.sin((2 * Math.PI * t) / SEASON) + noise;
    const b = rows.length > 0 ? 0.6 * rows[t - 1][0] + 0.3 * rand() : 6;
    const c = 50 + 5 * Math.cos((2 * Math.PI * t) / SEASON) + 2 * rand();
    // Rounded so that the CSV text is the value.
    rows.push([a, b, c].map((v) => Math.round(v * 1000) / 1000));
  }
  return rows;
}

function specFor(csv: string, dir: string): PipelineSpec {
  return PipelineSpec.parse({
    name: 'syn',
    step_ms: HOUR,
    fields: [{ name: 'value' }],
    sources: [{ kind: 'file', path: csv, time_column: 'timestamp', value_columns: ['a', 'b', 'c'], key_prefix: 'syn/' }],
    model: {
      cell: 'gru',
      units: 4,
      horizon: H,
      seed: 2,
      online_head: { normalise: { method: 'zscore', fit_rows: FIT }, recurrent: { cell: 'gru', units: 8, seed: 5 } },
    },
    training: { offline: { enabled: false } },
    state: { dir: join(dir, 'state') },
  });
}

/** OnlineForecaster driven directly: forecasts[(r * H + h - 1) * C + j] made after row r, z-scored. */
function inProcess(rows: number[][]): Float64Array {
  const z = Float64Array.from(rows.flat());
  applyZScore(z, C, fitZScore(z, C, FIT));
  const reservoir = new RecurrentReservoir({ kind: 'gru', inputSize: C, units: 8, layers: 1, seed: 5 });
  const hidden = new Float64Array(reservoir.size);
  const model = new OnlineForecaster({
    columns: C,
    horizon: H,
    season: SEASON,
    profiles: defaultProfiles(H),
    extraFeatures: reservoir.size,
  });
  const out = new Float64Array(ROWS * H * C);
  for (let t = 0; t < ROWS; t++) {
    const row = z.subarray(t * C, t * C + C);
    reservoir.step(row, hidden);
    model.observe(START + t * HOUR, row, hidden);
    model.forecast(out.subarray(t * H * C, (t + 1) * H * C));
  }
  return out;
}

const log = createLogger({ level: 'silent' });

describe('model.online_head through tidecast replay', () => {
  let dir: string;
  let csv: string;
  let rows: number[][];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-head-'));
    csv = join(dir, 'syn.csv');
    rows = syntheticRows();
    const lines = rows.map((r, t) => `${new Date(START + t * HOUR).toISOString()},${r.join(',')}`);
    await writeFile(csv, `timestamp,a,b,c\n${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes every horizon's forecast per row and stream, equal to OnlineForecaster in-process", async () => {
    const output = join(dir, 'out.csv');
    const summary = await replayFile(specFor(csv, dir), { input: csv, output, log });
    expect(summary.rows).toBe(ROWS);
    const replay = await readHeadReplay(output);
    expect(replay.keys).toEqual(['syn/a', 'syn/b', 'syn/c']);
    expect(replay.rows).toBe(ROWS);
    expect(replay.horizon).toBe(H);
    expect(replay.times[1] - replay.times[0]).toBe(HOUR);
    expect(Array.from(replay.actual.subarray(0, C))).toEqual(rows[0]);

    // Forecasts in data units map back, on the training rows' z-score, to the in-process ones.
    const ref = inProcess(rows);
    const scale = fitZScore(replay.actual, C, FIT);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      const j = i % C;
      worst = Math.max(worst, Math.abs((replay.forecasts[i] - scale.mean[j]) / scale.std[j] - ref[i]));
    }
    expect(worst).toBeLessThan(1e-9);
    // Not the naive forecast: the head has learned something by the end.
    const lastRow = (ROWS - 1) * C;
    expect(Math.abs(replay.forecasts[(ROWS - 1) * H * C] - replay.actual[lastRow])).toBeGreaterThan(1e-6);

    // The protocol's errors from the replay output equal those of the in-process forecasts.
    const split = { train: FIT, testStart: 250, testEnd: ROWS, season: SEASON };
    const scores = scoreHeadReplay(replay, split, [1, H]);
    const z = Float64Array.from(rows.flat());
    applyZScore(z, C, fitZScore(z, C, FIT));
    for (const horizon of [1, H]) {
      let se = 0;
      let ae = 0;
      let n = 0;
      for (let t = split.testStart; t + horizon <= split.testEnd; t++) {
        for (let h = 1; h <= horizon; h++) {
          for (let j = 0; j < C; j++) {
            const e = ref[((t - 1) * H + h - 1) * C + j] - z[(t + h - 1) * C + j];
            se += e * e;
            ae += Math.abs(e);
            n++;
          }
        }
      }
      expect(Math.abs(scores[horizon].tidecast.mse - se / n)).toBeLessThan(1e-9);
      expect(Math.abs(scores[horizon].tidecast.mae - ae / n)).toBeLessThan(1e-9);
    }
    // On this coupled data the head beats the last value at one step.
    expect(scores['1'].tidecast.mse).toBeLessThan(0.9 * scores['1'].naive.mse);
  });

  it.each([[1], [20]])('a restart from a snapshot after batch %i continues exactly as the uninterrupted run', async (cut) => {
    const spec = specFor(csv, dir);
    const cfg = replaySourceConfig(spec, csv);
    // The file's records in batches of 50 (a batch ends mid-row: 3 streams a row).
    const records: Observation[] = [];
    for await (const b of new FileSource(cfg, { name: 'replay', paced: false }).batches(new AbortController().signal))
      records.push(...b.observations);
    const batches: Observation[][] = [];
    for (let i = 0; i < records.length; i += 50) batches.push(records.slice(i, i + 50));
    const runOf = (lines: string[]) => ({
      headRow: (r: Parameters<typeof headCsvRows>[0]) => lines.push(...headCsvRows(r)),
      step: (r: { key: string; t: number; forecast: number }) => lines.push(`${r.key},${r.t},${r.forecast}`),
    });

    const whole: string[] = [];
    const a = new PipelineEngine(spec, runOf(whole));
    for (const b of batches) a.ingest(b);
    a.flush();

    const resumed: string[] = [];
    const before = new PipelineEngine(spec, runOf(resumed));
    batches.slice(0, cut).forEach((b) => {
      before.ingest(b);
    });
    const snapshot = JSON.parse(JSON.stringify(before.snapshot()));
    const weights = before.runner.exportWeights();
    const after = new PipelineEngine(spec, runOf(resumed));
    after.runner.importWeights(weights);
    after.restore(snapshot);
    batches.slice(cut).forEach((b) => {
      after.ingest(b);
    });
    after.flush();

    // The cut splits a row (50 records a batch, 3 streams) and falls before / after the scale is frozen.
    expect((cut * 50) % C).not.toBe(0);
    expect(before.head?.zscore === undefined).toBe(cut * 50 < FIT * C);
    expect(whole.filter((l) => l.includes('online_head')).length).toBe(ROWS * C);
    expect(resumed).toEqual(whole);
  });
});

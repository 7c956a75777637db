// Tidecast on SKAB through the product path: every file goes through `replayFile`
// (src/runtime/replay/replay.ts, what `tidecast replay` runs) with a pipeline built here the way a
// daemon would be set up for one pump: 8 sensor streams from a wide file source, a model fitted
// offline on the first 400 rows (the training part), the alert engine's default scorer. The replay
// CSV's per-row surprise and baseline columns are read back and combined per timestamp into one
// asset score (src/alerting/asset-score.ts: max over sensors, held with a decay) with the pump's
// joint deviation over its 8 sensors (src/alerting/multivariate-deviation.ts). Nothing is tuned
// per file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetScore, type AssetScoreOptions } from '../src/alerting/asset-score.js';
import { MultivariateDeviation } from '../src/alerting/multivariate-deviation.js';
import { PipelineSpec } from '../src/config/pipeline-schema.js';
import { replayFile } from '../src/runtime/replay/replay.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { TRAIN_ROWS, type SkabFile } from './skab-data.js';

/** Per scored row of a file and sensor (row-major rows × sensors; NaN where not scored): the replay's columns. */
export interface TidecastScores {
  readonly surprise: Float64Array;
  readonly likelihood: Float64Array;
  readonly baseline: Float64Array;
  readonly sensors: number;
  /** Replay wall time of the file, s. */
  readonly seconds: number;
}

const FIT_STEPS = 100;

/** The pipeline a daemon would run for one SKAB pump (a wide CSV: datetime + 8 sensor columns). */
export function skabSpec(csv: string, sensors: readonly string[], stateDir: string): PipelineSpec {
  return PipelineSpec.parse({
    name: 'skab',
    step_ms: 1000,
    fields: [{ name: 'value', aggregation: 'last' }],
    sources: [{ kind: 'file', path: csv, time_column: 'datetime', value_columns: [...sensors] }],
    impute: { method: 'linear', max_gap_steps: 10 },
    normalise: { method: 'ewm_zscore', half_life_steps: 300 },
    model: { cell: 'gru', layers: 1, units: 16, horizon: 10, seed: 7 },
    // Within the training part (the first 400 rows). The fit's own steps teach the alert engine
    // nothing (the engine does not score in-sample steps), so the fit takes the first 100 and the
    // scorer warms up on the other 300.
    training: { offline: { steps: FIT_STEPS, epochs: 10, max_time_ms: 600_000 }, online: { enabled: false } },
    alerting: { storm_control: { max_per_minute: 1_000_000 } },
    state: { dir: stateDir },
  });
}

/** Replays one file and returns the asset scores of its scored rows (rows after the first 400). */
export async function tidecastScores(f: SkabFile, work: string): Promise<TidecastScores> {
  const base = join(work, f.path.replace(/[/.]/g, '_'));
  mkdirSync(base, { recursive: true });
  const csv = join(base, 'input.csv');
  const d = f.sensors.length;
  const lines = [['datetime', ...f.sensors].join(',')];
  for (let r = 0; r < f.rows; r++) {
    const cells = [f.datetimes[r]];
    for (let j = 0; j < d; j++) cells.push(String(f.x[r * d + j]));
    lines.push(cells.join(','));
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const out = join(base, 'replay.csv');
  const started = performance.now();
  await replayFile(skabSpec(csv, f.sensors, join(base, 'state')), { input: csv, output: out, log: silentLogger() });
  const seconds = (performance.now() - started) / 1000;
  // Read the replay back by its header (other columns may come and go).
  const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
  const col = header.split(',');
  const iT = col.indexOf('timestamp'),
    iS = col.indexOf('stream'),
    iSur = col.indexOf('surprise'),
    iLik = col.indexOf('likelihood'),
    iBase = col.indexOf('baseline');
  if (iSur < 0 || iLik < 0 || iBase < 0) throw new Error(`replay output lacks surprise/likelihood/baseline columns: ${header}`);
  const rowOf = new Map<number, number>();
  for (let r = TRAIN_ROWS; r < f.rows; r++) rowOf.set(f.t[r], r - TRAIN_ROWS);
  const sensorOf = new Map(f.sensors.map((s, j) => [s, j]));
  const n = f.rows - TRAIN_ROWS;
  const sur = new Float64Array(n * d).fill(NaN);
  const lik = new Float64Array(n * d).fill(NaN);
  const baseline = new Float64Array(n * d).fill(NaN);
  for (const line of rows) {
    const c = line.split(',');
    const i = rowOf.get(Date.parse(c[iT]));
    const j = sensorOf.get(c[iS]);
    if (i === undefined || j === undefined) continue; // imputed grid steps and the training part
    sur[i * d + j] = c[iSur] === '' ? NaN : Number(c[iSur]);
    lik[i * d + j] = c[iLik] === '' ? NaN : Number(c[iLik]);
    baseline[i * d + j] = c[iBase] === '' ? NaN : Number(c[iBase]);
  }
  return { surprise: sur, likelihood: lik, baseline, sensors: d, seconds };
}

/**
 * The asset score per scored row from per-sensor step scores (held), persistent per-sensor scores
 * (rows × sensors) and a persistent joint score of the pump (one per row).
 */
export function assetScores(
  perSensor: Float64Array,
  sensors: number,
  persistent?: Float64Array,
  options?: AssetScoreOptions,
  joint?: Float64Array,
): Float64Array {
  const asset = new AssetScore(options);
  const n = perSensor.length / sensors;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] = asset.update(
      perSensor.subarray(i * sensors, (i + 1) * sensors),
      persistent?.subarray(i * sensors, (i + 1) * sensors),
      joint ? joint[i] : NaN,
    );
  return out;
}

/**
 * The pump's joint deviation (src/alerting/multivariate-deviation.ts, default settings) per scored
 * row: its 8 sensors' values as the replay reads them, every row from the first (the training part
 * only warms it up: baselines and the sensors' co-movement), scored after the first 400.
 */
export function jointScores(f: SkabFile): Float64Array {
  const d = f.sensors.length;
  const joint = new MultivariateDeviation(d);
  const out = new Float64Array(f.rows - TRAIN_ROWS);
  for (let r = 0; r < f.rows; r++) {
    const s = joint.update(f.x.subarray(r * d, (r + 1) * d));
    if (r >= TRAIN_ROWS) out[r - TRAIN_ROWS] = s;
  }
  return out;
}

// `npm run bench:alerts -- --real`: the SKAB part. Every detector scores every labelled SKAB file
// (rows after the first 400), one threshold per detector is chosen over the whole corpus
// (skab-threshold.ts), its predictions are written in ../shared/eval/skab/score.py's format (one
// folder per detector) and scored with the TypeScript port of that scorer (skab-score.ts; a test
// checks the two agree). Detectors:
// - tidecast: the product path (skab-tidecast.ts): replayFile per file, the replay's per-sensor
//   surprise (held) and baseline (deviation from the slow baseline) columns and the pump's joint
//   deviation over its sensors (src/alerting/multivariate-deviation.ts), one asset score per
//   timestamp (src/alerting/asset-score.ts);
// - tidecastPerSensor: the same without the joint deviation (the asset score before #19's last round);
// - tidecastJoint: the joint deviation alone;
// - tidecastSurprise, tidecastLikelihood, tidecastBaseline: one column each (the parts, for comparison);
// - ewmaZ, mad: residual z-score and rolling median/MAD baselines (skab-baselines.ts);
// - t2: Hotelling T² exactly as the SKAB leaderboard ran it (its own threshold 2·UCL); t2Chosen:
//   the same statistic at the corpus threshold rule the others get.
import { join } from 'node:path';
import { ewmaZScores, madScores, t2Scores } from './skab-baselines.js';
import { loadSkab, type SkabFile } from './skab-data.js';
import { r2, scoreSkab, writePredictions, type SkabPrediction, type SkabScore } from './skab-score.js';
import { assetScores, jointScores, tidecastScores } from './skab-tidecast.js';
import { chooseThreshold, flag, MAX_FAR_PCT } from './skab-threshold.js';

export const SKAB_DIR = '../shared/data/anomaly/skab';

export interface SkabRow {
  readonly f1: number;
  readonly far: number;
  readonly mar: number;
  readonly nab: { readonly standard: number; readonly lowFP: number; readonly lowFN: number };
  readonly threshold: number;
  readonly thresholdRule: string;
  readonly missedCps: number;
  readonly falseCps: number;
  readonly unrounded: SkabScore;
}

export interface SkabResult {
  readonly rows: Record<string, SkabRow>;
  readonly files: number;
  readonly rowsScored: number;
  readonly predictions: string;
  readonly seconds: number;
}

function row(score: SkabScore, threshold: number, rule: string): SkabRow {
  const o = score.outlier;
  const c = score.changepoint;
  return {
    f1: r2(o.f1),
    far: r2(o.far_pct),
    mar: r2(o.mar_pct),
    nab: { standard: r2(c.nab_standard), lowFP: r2(c.nab_low_fp), lowFN: r2(c.nab_low_fn) },
    threshold,
    thresholdRule: rule,
    missedCps: c.missed_cps,
    falseCps: c.false_positives,
    unrounded: score,
  };
}

/** Scores of every detector per file (scored rows). */
async function detectorScores(
  files: readonly SkabFile[],
  work: string,
  onFile?: (path: string) => void,
): Promise<Record<string, Map<string, Float64Array>>> {
  const d: Record<string, Map<string, Float64Array>> = {
    tidecast: new Map(),
    tidecastPerSensor: new Map(),
    tidecastJoint: new Map(),
    tidecastSurprise: new Map(),
    tidecastLikelihood: new Map(),
    tidecastBaseline: new Map(),
    ewmaZ: new Map(),
    mad: new Map(),
    t2: new Map(),
  };
  for (const f of files) {
    const tc = await tidecastScores(f, work);
    const joint = jointScores(f);
    d.tidecast.set(f.path, assetScores(tc.surprise, tc.sensors, tc.baseline, undefined, joint));
    d.tidecastPerSensor.set(f.path, assetScores(tc.surprise, tc.sensors, tc.baseline));
    d.tidecastJoint.set(f.path, joint);
    d.tidecastSurprise.set(f.path, assetScores(tc.surprise, tc.sensors));
    d.tidecastLikelihood.set(f.path, assetScores(tc.likelihood, tc.sensors));
    d.tidecastBaseline.set(f.path, assetScores(new Float64Array(tc.baseline.length).fill(NaN), tc.sensors, tc.baseline));
    d.ewmaZ.set(f.path, ewmaZScores(f));
    d.mad.set(f.path, madScores(f));
    d.t2.set(f.path, t2Scores(f).scores);
    onFile?.(f.path);
  }
  return d;
}

export async function runSkab(dataDir: string, predictionsDir: string, work: string, onFile?: (path: string) => void): Promise<SkabResult> {
  const started = performance.now();
  // A one-off WASM kernel heap per process that never frees would run out over 34 offline fits;
  // the portable kernels give the same bits (fastest-kernels.ts).
  process.env.TIDECAST_KERNELS ??= 'portable';
  const files = loadSkab(dataDir);
  const scores = await detectorScores(files, work, onFile);
  const rows: Record<string, SkabRow> = {};
  const rule = `max per-row F1 with FAR <= ${MAX_FAR_PCT}%`;
  const emit = (name: string, preds: Map<string, SkabPrediction>, threshold: number, why: string) => {
    writePredictions(join(predictionsDir, name), files, preds);
    rows[name] = row(scoreSkab(files, preds), threshold, why);
  };
  for (const [name, m] of Object.entries(scores)) {
    const c = chooseThreshold(files, m);
    emit(name === 't2' ? 't2Chosen' : name, new Map([...m].map(([p, s]) => [p, flag(s, c.threshold)])), c.threshold, rule);
  }
  const t2Threshold = t2Scores(files[0]).threshold;
  emit('t2', new Map([...scores.t2].map(([p, s]) => [p, flag(s, t2Threshold)])), t2Threshold, 'leaderboard: 2·UCL');
  return {
    rows,
    files: files.length,
    rowsScored: files.reduce((n, f) => n + f.rows - 400, 0),
    predictions: predictionsDir,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** The JSON the issue asks for: per detector f1, far, mar, nab {standard, lowFP, lowFN}, plus threshold. */
export function skabJson(r: SkabResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, x] of Object.entries(r.rows)) {
    out[name] = {
      f1: x.f1,
      far: x.far,
      mar: x.mar,
      nab: x.nab,
      threshold: x.threshold,
      thresholdRule: x.thresholdRule,
      missedCps: x.missedCps,
      falseCps: x.falseCps,
    };
  }
  return out;
}

export function printSkab(r: SkabResult): void {
  console.log(
    `SKAB v0.9 (${r.files} labelled files, first 400 rows of each never scored, ${r.rowsScored} rows scored), ${r.seconds} s; predictions in ${r.predictions}/<detector>`,
  );
  console.log(
    `${'detector'.padEnd(20)}${'F1'.padStart(6)}${'FAR%'.padStart(8)}${'MAR%'.padStart(8)}${'NAB std'.padStart(9)}${'lowFP'.padStart(8)}${'lowFN'.padStart(8)}${'missCP'.padStart(8)}${'fpCP'.padStart(6)}   threshold`,
  );
  for (const [name, x] of Object.entries(r.rows)) {
    console.log(
      `${name.padEnd(20)}${x.f1.toFixed(2).padStart(6)}${x.far.toFixed(2).padStart(8)}${x.mar.toFixed(2).padStart(8)}${x.nab.standard.toFixed(2).padStart(9)}${x.nab.lowFP.toFixed(2).padStart(8)}${x.nab.lowFN.toFixed(2).padStart(8)}${String(x.missedCps).padStart(8)}${String(x.falseCps).padStart(6)}   ${x.threshold.toPrecision(5)} (${x.thresholdRule})`,
    );
  }
}

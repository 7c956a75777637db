// The SKAB "proposed leaderboard" scoring, ported from ../shared/eval/skab/score.py (the reference;
// a vitest test compares the two on the same prediction files to 1e-9):
// - outliers: per-row TP/FP/FN/TN over the scored rows (after the first 400), summed over files,
//   F1 = TP / (TP + (FP + FN)/2), FAR = FP / (FP + TN)·100, MAR = FN / (FN + TP)·100; a row
//   without a prediction (NaN) drops out of all four;
// - changepoints: tsad's NAB variant: a window [c, c + 60 s] after each true changepoint (a window
//   reaching the next one's start moves that start to its end), the first predicted changepoint in
//   a window scores the tanh curve at k = int((p - start)/(end - start)·1000), a window without one
//   costs A_fn, a prediction outside every window A_fp; NAB = 100·(S - S_null)/(S_perfect - S_null)
//   summed over files, for the standard, low-FP and low-FN profiles. Predicted changepoints are both
//   edges of each predicted outlier run unless given.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TRAIN_ROWS, type SkabFile } from './skab-data.js';

export const WINDOW_MS = 60_000;
const DETAIL = 1000;
export const PROFILES = [
  ['standard', 1.0, -0.11, -1.0],
  ['low_fp', 1.0, -0.22, -1.0],
  ['low_fn', 1.0, -0.11, -2.0],
] as const;

/** One file's predictions over its scored rows (rows after the first 400): 0, 1 or NaN (none). */
export interface SkabPrediction {
  readonly anomaly: Float64Array;
  /** Explicit changepoints; absent: both edges of every predicted outlier run. */
  readonly changepoint?: Float64Array;
}

export interface SkabScore {
  readonly outlier: { f1: number; far_pct: number; mar_pct: number; tp: number; fp: number; fn: number; tn: number };
  readonly changepoint: {
    nab_standard: number;
    nab_low_fp: number;
    nab_low_fn: number;
    changepoints: number;
    missed_cps: number;
    false_positives: number;
    mean_delay_s: number | null;
  };
}

/** Changepoints from an outlier prediction: both edges of each run, over the rows that have a prediction. */
export function edges(a: Float64Array): Uint8Array {
  const cp = new Uint8Array(a.length);
  let prev = NaN;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i])) continue;
    cp[i] = Number.isNaN(prev) ? (a[i] === 1 ? 1 : 0) : a[i] !== prev ? 1 : 0;
    prev = a[i];
  }
  return cp;
}

/** The tanh scoring curve, in the reference's operation order (numpy linspace: i·step + start, last = stop). */
function nabCurve(aTp: number, aFp: number): Float64Array {
  const start = -Math.PI / 2;
  const stop = Math.PI / 2;
  const step = (stop - start) / (DETAIL - 1);
  const half = (aTp - aFp) / 2;
  const t = Math.tanh(Math.PI / 2);
  const y = new Float64Array(DETAIL);
  for (let i = 0; i < DETAIL; i++) {
    const x = i === DETAIL - 1 ? stop : i * step + start;
    y[i] = (half * -1 * Math.tanh(x)) / t + half + aFp;
  }
  return y;
}

interface NabFile {
  windows: number;
  fp: number;
  events: number[];
  missed: number;
  delays: number[];
}

function nabFile(t: Float64Array, cpTrue: Uint8Array, cpPred: Uint8Array): NabFile {
  const starts: number[] = [];
  for (let i = 0; i < t.length; i++) if (cpTrue[i]) starts.push(t[i]);
  const ends = starts.map((s) => s + WINDOW_MS);
  for (let i = 0; i + 1 < starts.length; i++) if (ends[i] >= starts[i + 1]) starts[i + 1] = ends[i];
  const pred: number[] = [];
  for (let i = 0; i < t.length; i++) if (cpPred[i]) pred.push(t[i]);
  pred.sort((a, b) => a - b);
  if (starts.length === 0) return { windows: 0, fp: pred.length, events: [], missed: 0, delays: [] };
  let fp = pred.filter((p) => p < starts[0]).length;
  const events: number[] = [];
  const delays: number[] = [];
  let missed = 0;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i];
    const e = ends[i];
    const first = pred.find((p) => p >= s && p <= e);
    if (first === undefined) missed++;
    else {
      const k = e > s ? Math.trunc(((first - s) / (e - s)) * DETAIL) : 0;
      events.push(Math.min(k, DETAIL - 1));
      delays.push(first - s);
    }
    if (i + 1 < starts.length) fp += pred.filter((p) => p > e && p < starts[i + 1]).length;
  }
  fp += pred.filter((p) => p > ends[ends.length - 1]).length;
  return { windows: starts.length, fp, events, missed, delays };
}

/** Scores predictions (by file path) against the corpus; every labelled file must have one. */
export function scoreSkab(files: readonly SkabFile[], preds: ReadonlyMap<string, SkabPrediction>): SkabScore {
  let tp = 0,
    tn = 0,
    fp = 0,
    fn = 0;
  const nab: NabFile[] = [];
  for (const f of files) {
    const p = preds.get(f.path);
    const n = f.rows - TRAIN_ROWS;
    if (p === undefined) throw new Error(`no prediction for ${f.path}`);
    if (p.anomaly.length !== n) throw new Error(`${f.path}: ${p.anomaly.length} predictions, expected ${n}`);
    const truth = f.anomaly.subarray(TRAIN_ROWS);
    for (let i = 0; i < n; i++) {
      const a = p.anomaly[i];
      if (Number.isNaN(a)) continue;
      if (a === 1) truth[i] ? tp++ : fp++;
      else truth[i] ? fn++ : tn++;
    }
    const cpPred = p.changepoint ? Uint8Array.from(p.changepoint, (v) => (v === 1 ? 1 : 0)) : edges(p.anomaly);
    nab.push(nabFile(f.t.subarray(TRAIN_ROWS), f.changepoint.subarray(TRAIN_ROWS), cpPred));
  }
  const nabScores: Record<string, number> = {};
  for (const [name, aTp, aFp, aFn] of PROFILES) {
    const curve = nabCurve(aTp, aFp);
    let s = 0,
      sNull = 0,
      sPerfect = 0;
    for (const r of nab) {
      let score = 0;
      score += aFp * r.fp;
      score += aFn * r.missed;
      for (const k of r.events) score += curve[k];
      s += score;
      sNull += r.windows * aFn;
      sPerfect += r.windows * aTp;
    }
    nabScores[name] = sPerfect !== sNull ? (100 * (s - sNull)) / (sPerfect - sNull) : NaN;
  }
  const delays = nab.flatMap((r) => r.delays);
  return {
    outlier: {
      f1: tp + fp + fn ? tp / (tp + (fn + fp) / 2) : NaN,
      far_pct: fp + tn ? (fp / (fp + tn)) * 100 : NaN,
      mar_pct: fn + tp ? (fn / (fn + tp)) * 100 : NaN,
      tp,
      fp,
      fn,
      tn,
    },
    changepoint: {
      nab_standard: nabScores.standard,
      nab_low_fp: nabScores.low_fp,
      nab_low_fn: nabScores.low_fn,
      changepoints: nab.reduce((a, r) => a + r.windows, 0),
      missed_cps: nab.reduce((a, r) => a + r.missed, 0),
      false_positives: nab.reduce((a, r) => a + r.fp, 0),
      mean_delay_s: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length / 1000 : null,
    },
  };
}

/** Writes one prediction CSV per file in score.py's format (scored rows only): datetime,anomaly_pred[,changepoint_pred]. */
export function writePredictions(dir: string, files: readonly SkabFile[], preds: ReadonlyMap<string, SkabPrediction>): void {
  const cell = (v: number) => (Number.isNaN(v) ? '' : String(v));
  for (const f of files) {
    const p = preds.get(f.path);
    if (p === undefined) continue;
    const lines = [p.changepoint ? 'datetime,anomaly_pred,changepoint_pred' : 'datetime,anomaly_pred'];
    for (let i = 0; i < p.anomaly.length; i++) {
      const dt = f.datetimes[TRAIN_ROWS + i];
      lines.push(p.changepoint ? `${dt},${cell(p.anomaly[i])},${cell(p.changepoint[i])}` : `${dt},${cell(p.anomaly[i])}`);
    }
    const out = join(dir, ...f.path.split('/'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${lines.join('\n')}\n`);
  }
}

/** Rounds like the leaderboard (2 decimals). */
export function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

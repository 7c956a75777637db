// bench:accuracy -- --seq2seq: the encoder-decoder (model.decoder: seq2seq, src/models/seq2seq-model.ts)
// beside the direct multi-horizon head (the stacked model's head, one output pair per horizon) at
// H = 24 and 96 on ETTh2 / ETTm1 / WTH. Leak-free: both fit only on the protocol's training rows
// (the fit window, z scale fitted there too), then forecast the test window with frozen weights.
// Both read the z-scored value only, predict the change from the last value, have the pipelines'
// GRU with 16 units and learn by Adam on the Gaussian NLL with global-norm clip 1. The direct model
// carries its state over the whole series (as the engine); the encoder reads the last `window` steps.
// directChanges: the direct head reading the change from the step before instead of the level
// (translation-invariant like the relative seq2seq: tells the encoder-decoder's gain from that one).
// Errors on the z scale over h = 1..H, at every `stride`-th origin of the test window (same origins
// for every method); naive = last value, seasonal naive = the same time one (or more) days before.
import { performance } from 'node:perf_hooks';
import { applyZScore, fitZScore } from '../src/forecasting/z-score.js';
import { initialiseSeq2Seq, Seq2SeqModel } from '../src/models/seq2seq-model.js';
import { StackedModel } from '../src/models/stacked-model.js';
import { initialiseWeights } from '../src/training/init.js';
import { Adam } from '../src/training/optimisers.js';
import { Seq2SeqRunner } from '../src/training/seq2seq-runner.js';
import { fitSeq2Seq } from '../src/training/seq2seq-trainer.js';
import { SequenceRunner } from '../src/training/sequence.js';
import { TbpttTrainer } from '../src/training/tbptt.js';
import { loadDataset, type AccuracyDataset } from './accuracy-data.js';

export const SEQ2SEQ_DATASETS = ['ETTh2', 'ETTm1', 'WTH'] as const;
export const SEQ2SEQ_HORIZONS = [24, 96] as const;

export interface Seq2SeqBenchOptions {
  readonly units: number;
  readonly window: number;
  readonly stride: number;
  readonly directEpochs: number;
  readonly seq2seqUpdates: number;
  readonly seq2seqBatch: number;
  readonly seed: number;
  readonly horizons: readonly number[];
}

export const DEFAULT_SEQ2SEQ_BENCH: Seq2SeqBenchOptions = {
  horizons: SEQ2SEQ_HORIZONS,
  units: 16,
  window: 96,
  stride: 4,
  directEpochs: 4,
  seq2seqUpdates: 600,
  seq2seqBatch: 32,
  seed: 9,
};

export interface MethodScore {
  readonly mse: number;
  readonly mae: number;
  readonly coverage95?: number;
}
export type Seq2SeqRow = Record<'direct' | 'directChanges' | 'seq2seq' | 'naive' | 'seasonalNaive', MethodScore> & {
  readonly origins: number;
  readonly fitSeconds: Record<'direct' | 'seq2seq', number>;
};

class Scores {
  se = 0;
  ae = 0;
  n = 0;
  inside = 0;
  add(forecast: number, y: number, logVar = NaN): void {
    const e = forecast - y;
    this.se += e * e;
    this.ae += Math.abs(e);
    this.n++;
    if (Math.abs(e) <= 1.96 * Math.exp(0.5 * logVar)) this.inside++;
  }
  result(withCoverage: boolean): MethodScore {
    return { mse: this.se / this.n, mae: this.ae / this.n, ...(withCoverage && { coverage95: this.inside / this.n }) };
  }
}

/** z-scored values, time-major rows × columns (Float32), z fitted on the training rows only. */
function zScored(ds: AccuracyDataset): Float32Array {
  const z = ds.values.slice();
  applyZScore(z, ds.columns, fitZScore(z, ds.columns, ds.train));
  return Float32Array.from(z);
}

/** The direct model's input: the z-scored level, or its change from the step before (translation-invariant as the relative seq2seq). */
function directInputs(z: Float32Array, S: number, changes: boolean): Float32Array {
  if (!changes) return z;
  const d = new Float32Array(z.length);
  for (let i = S; i < z.length; i++) d[i] = z[i] - z[i - S];
  return d;
}

function fitDirect(z: Float32Array, x: Float32Array, ds: AccuracyDataset, H: number, o: Seq2SeqBenchOptions): StackedModel {
  const S = ds.columns,
    N = ds.train;
  const model = new StackedModel({ kind: 'gru', inputSize: 1, units: o.units, layers: 1, horizon: H, outputSize: 1, seed: o.seed });
  initialiseWeights(model);
  const inputs = x.slice(0, N * S);
  const targets = new Float32Array(N * S * H);
  for (let t = 0; t < N; t++) {
    for (let s = 0; s < S; s++) {
      // Targets inside the fit window only (NaN past its end): the change from the value now.
      for (let h = 0; h < H; h++) targets[(t * S + s) * H + h] = t + 1 + h < N ? z[(t + 1 + h) * S + s] - z[t * S + s] : NaN;
    }
  }
  const trainer = new TbpttTrainer(
    model,
    { k1: 32, k2: 32, loss: 'gaussian-nll', optimiser: new Adam({ learningRate: 0.01 }), clipNorm: 1, seed: o.seed },
    S,
  );
  for (let e = 0; e < o.directEpochs; e++) {
    trainer.resetState();
    trainer.train({ steps: N, batch: S, inputs, targets });
  }
  return model;
}

function fitEncoderDecoder(z: Float32Array, ds: AccuracyDataset, H: number, o: Seq2SeqBenchOptions): Seq2SeqModel {
  const model = new Seq2SeqModel({ kind: 'gru', inputSize: 1, units: o.units, horizon: H, seed: o.seed });
  initialiseSeq2Seq(model);
  fitSeq2Seq(model, z.subarray(0, ds.train * ds.columns), ds.train, ds.columns, {
    window: o.window,
    updates: o.seq2seqUpdates,
    batch: o.seq2seqBatch,
    learningRate: 0.005,
    clipNorm: 1,
    seed: o.seed,
  });
  return model;
}

/** Origin t: rows 0..t-1 known, forecasts of rows t..t+H-1. */
function origins(ds: AccuracyDataset, H: number, stride: number): number[] {
  const out: number[] = [];
  for (let t = ds.testStart; t + H <= ds.testEnd; t += stride) out.push(t);
  return out;
}

function scoreDirect(
  model: StackedModel,
  z: Float32Array,
  x: Float32Array,
  ds: AccuracyDataset,
  H: number,
  at: readonly number[],
  sc: Scores,
): void {
  const S = ds.columns,
    chunk = 512;
  const runner = new SequenceRunner(model, chunk, S);
  const state = new Float32Array(S * model.stateSize);
  const wanted = new Set(at);
  for (let from = 0; from < ds.testEnd; from += chunk) {
    const T = Math.min(chunk, ds.testEnd - from);
    runner.setInitialState(state, S);
    const out = runner.forward(T, S, x, from * S, false);
    runner.getState(T, state);
    for (let i = 0; i < T; i++) {
      const t = from + i + 1; // the output at row from + i is the forecast made at origin from + i + 1
      if (!wanted.has(t)) continue;
      for (let s = 0; s < S; s++) {
        for (let h = 0; h < H; h++) {
          const o = ((i * S + s) * H + h) * 2;
          sc.add(z[(t - 1) * S + s] + out[o], z[(t + h) * S + s], out[o + 1]);
        }
      }
    }
  }
}

function scoreSeq2Seq(
  model: Seq2SeqModel,
  z: Float32Array,
  ds: AccuracyDataset,
  H: number,
  at: readonly number[],
  W: number,
  sc: Scores,
): void {
  const S = ds.columns,
    per = 32; // origins per batch
  const B = per * S;
  const runner = new Seq2SeqRunner(model, W, B);
  const inputs = new Float32Array(W * B),
    last = new Float32Array(B);
  for (let k = 0; k < at.length; k += per) {
    const n = Math.min(per, at.length - k),
      b = n * S;
    for (let j = 0; j < n; j++) {
      const t = at[k + j];
      for (let w = 0; w < W; w++) for (let s = 0; s < S; s++) inputs[w * b + j * S + s] = z[(t - W + w) * S + s];
      for (let s = 0; s < S; s++) last[j * S + s] = z[(t - 1) * S + s];
    }
    const out = runner.forward(W, b, inputs, 0, last);
    for (let j = 0; j < n; j++) {
      const t = at[k + j];
      for (let s = 0; s < S; s++)
        for (let h = 0; h < H; h++) sc.add(out[(h * b + j * S + s) * 2], z[(t + h) * S + s], out[(h * b + j * S + s) * 2 + 1]);
    }
  }
}

function scoreBaselines(z: Float32Array, ds: AccuracyDataset, H: number, at: readonly number[], naive: Scores, seasonal: Scores): void {
  const S = ds.columns,
    P = ds.season;
  for (const t of at) {
    for (let s = 0; s < S; s++) {
      for (let h = 0; h < H; h++) {
        const y = z[(t + h) * S + s];
        naive.add(z[(t - 1) * S + s], y);
        // The same time of day in the last day already seen (h < P: one day before; else whole days more).
        seasonal.add(z[(t + h - P * Math.ceil((h + 1) / P)) * S + s], y);
      }
    }
  }
}

export function compareSeq2Seq(
  dataDir: string,
  names: readonly string[],
  o: Seq2SeqBenchOptions,
  say: (line: string) => void,
): Record<string, Record<string, Seq2SeqRow>> {
  const result: Record<string, Record<string, Seq2SeqRow>> = {};
  for (const name of SEQ2SEQ_DATASETS) {
    if (!names.includes(name)) continue;
    const ds = loadDataset(dataDir, name);
    const z = zScored(ds);
    result[name] = {};
    for (const H of o.horizons) {
      const at = origins(ds, H, o.stride);
      const changes = directInputs(z, ds.columns, true);
      let t0 = performance.now();
      const direct = fitDirect(z, z, ds, H, o);
      const directSeconds = (performance.now() - t0) / 1000;
      const directChanges = fitDirect(z, changes, ds, H, o);
      t0 = performance.now();
      const s2s = fitEncoderDecoder(z, ds, H, o);
      const s2sSeconds = (performance.now() - t0) / 1000;
      const sc = {
        direct: new Scores(),
        directChanges: new Scores(),
        seq2seq: new Scores(),
        naive: new Scores(),
        seasonalNaive: new Scores(),
      };
      scoreDirect(direct, z, z, ds, H, at, sc.direct);
      scoreDirect(directChanges, z, changes, ds, H, at, sc.directChanges);
      scoreSeq2Seq(s2s, z, ds, H, at, o.window, sc.seq2seq);
      scoreBaselines(z, ds, H, at, sc.naive, sc.seasonalNaive);
      result[name][String(H)] = {
        direct: sc.direct.result(true),
        directChanges: sc.directChanges.result(true),
        seq2seq: sc.seq2seq.result(true),
        naive: sc.naive.result(false),
        seasonalNaive: sc.seasonalNaive.result(false),
        origins: at.length,
        fitSeconds: { direct: directSeconds, seq2seq: s2sSeconds },
      };
      say(
        `${name} H=${H}: direct ${sc.direct.result(false).mse.toFixed(4)}, direct on changes ${sc.directChanges.result(false).mse.toFixed(4)}, seq2seq ${sc.seq2seq.result(false).mse.toFixed(4)}, naive ${sc.naive.result(false).mse.toFixed(4)} (fit ${directSeconds.toFixed(1)} s / ${s2sSeconds.toFixed(1)} s, ${at.length} origins)`,
      );
    }
  }
  return result;
}

export function printSeq2SeqTable(result: Record<string, Record<string, Seq2SeqRow>>, o: Seq2SeqBenchOptions): void {
  console.log(
    `\nEncoder-decoder vs direct multi-horizon head: fit on the training rows only, z scale, every ${o.stride}th test origin, errors over h = 1..H (GRU ${o.units} units, encoder window ${o.window})`,
  );
  console.log('| set | H | method | MSE | MAE | MSE / naive | coverage95 |\n|---|---|---|---|---|---|---|');
  for (const [set, rows] of Object.entries(result)) {
    for (const [H, row] of Object.entries(rows)) {
      for (const m of ['direct', 'directChanges', 'seq2seq', 'naive', 'seasonalNaive'] as const) {
        const c = row[m];
        console.log(
          `| ${set} | ${H} | ${m} | ${c.mse.toFixed(4)} | ${c.mae.toFixed(4)} | ${(c.mse / row.naive.mse).toFixed(3)} | ${c.coverage95 === undefined ? '' : c.coverage95.toFixed(3)} |`,
        );
      }
    }
  }
}

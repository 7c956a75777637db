// bench:coldstart: a new stream's first 50 steps (issue 13 item 4, src/forecasting/stream-embeddings.ts).
// Per domain (weather: WTH columns; stocks: S&P 500 closes; health: Fitbit heart-rate segments;
// alerts-data.ts) the streams are split: 80% train the global model with one embedding each (on their
// changes scaled by their own std), the rest arrive as new streams. For each new stream, one-step
// forecasts of steps 2..50, leak-free: its changes are scaled by the RMS of the changes seen so far.
// Methods: global model with the cold-start embedding (the training streams it resembles), the global
// model with a zero embedding, the same cell trained per stream from scratch on its own steps, a
// per-stream RLS on its last three changes from zero (the engine's readouts start so), and naive
// (persistence). MSE in data units, pooled, and per stream as a ratio to naive averaged over streams.
// `npm run bench:coldstart [-- --json] [-- --data DIR]`
import { performance } from 'node:perf_hooks';
import { scratchForecasts, StreamEmbeddings } from '../src/forecasting/stream-embeddings.js';
import { RecursiveLeastSquares } from '../src/models/recursive-least-squares.js';
import { Prng } from '../src/training/prng.js';
import { firstTickers, heartRateStreams, stockStreams, weatherStreams, wthColumns, type BenchStream } from './alerts-data.js';

const STEPS = 50;
const METHODS = ['coldStart', 'zeroEmbedding', 'scratch', 'rls', 'naive'] as const;
type Method = (typeof METHODS)[number];

function changes(v: Float64Array, from: number, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 1; i < n; i++) x[i] = v[from + i] - v[from + i - 1];
  return x;
}

function scaled(x: Float32Array): Float32Array {
  let s2 = 0;
  for (let i = 1; i < x.length; i++) s2 += x[i] * x[i];
  const s = Math.sqrt(s2 / Math.max(1, x.length - 1)) || 1;
  return x.map((v) => v / s);
}

interface DomainResult {
  readonly train: number;
  readonly fresh: number;
  readonly mse: Record<Method, number>;
  readonly ratio: Record<Method, number>;
  readonly fitSeconds: number;
}

function domain(streams: BenchStream[], maxNew: number, seed: number): DomainResult {
  const rng = new Prng(seed);
  const order = streams.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nNew = Math.min(maxNew, Math.max(2, Math.round(0.2 * streams.length)));
  const fresh = order.slice(0, nNew).map((i) => streams[i]);
  const train = order.slice(nNew).map((i) => streams[i]);
  const t0 = performance.now();
  const emb = new StreamEmbeddings({ units: 16, dims: 4, seed });
  emb.fit(
    train.map((s) => scaled(changes(s.values, 0, Math.min(s.values.length, 2000)))),
    { updates: 800, batch: 16, window: 48 },
  );
  const fitSeconds = (performance.now() - t0) / 1000;
  const sse = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<Method, number>;
  const ratio = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<Method, number>;
  let n = 0;
  const N = STEPS + 1;
  const out = Object.fromEntries(METHODS.map((m) => [m, new Float32Array(N)])) as Record<Method, Float32Array>;
  for (const s of fresh) {
    const d = changes(s.values, 0, N);
    // Leak-free scaling: change t divided by the RMS of changes 1..t (the scale known at step t).
    const x = new Float32Array(N),
      scale = new Float64Array(N);
    let s2 = 0;
    for (let t = 1; t < N; t++) {
      s2 += d[t] * d[t];
      scale[t] = Math.sqrt(s2 / t) || 1;
      x[t] = d[t] / scale[t];
    }
    emb.coldForecasts(x, N, 'neighbours', out.coldStart);
    emb.coldForecasts(x, N, 'zero', out.zeroEmbedding);
    scratchForecasts(x, N, out.scratch, { units: 16, seed });
    const rls = new RecursiveLeastSquares({ features: 3, outputs: 1, forgetting: 1 });
    const f = new Float64Array(3),
      y = new Float64Array(1),
      p = new Float64Array(1);
    for (let t = 0; t < N; t++) {
      f[0] = x[t];
      f[1] = t >= 1 ? x[t - 1] : 0;
      f[2] = t >= 2 ? x[t - 2] : 0;
      rls.predict(f, p);
      out.rls[t] = p[0];
      if (t + 1 < N) {
        y[0] = x[t + 1];
        rls.update(f, y);
      }
    }
    out.naive.fill(0);
    const own = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<Method, number>;
    // Forecast of value t + 1 made at t (t = 1..50: the scale needs one change): value t + change.
    for (let t = 1; t + 1 < N; t++) {
      for (const m of METHODS) {
        const e = out[m][t] * scale[t] - d[t + 1];
        own[m] += e * e;
      }
    }
    const steps = N - 2;
    for (const m of METHODS) {
      sse[m] += own[m] / steps;
      ratio[m] += own.naive > 0 ? own[m] / own.naive : 1;
    }
    n++;
  }
  for (const m of METHODS) {
    sse[m] /= n;
    ratio[m] /= n;
  }
  return { train: train.length, fresh: n, mse: sse, ratio, fitSeconds };
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dir = args.includes('--data') ? args[args.indexOf('--data') + 1] : (process.env.TIDECAST_DATA ?? '/work/shared/data');
  const started = performance.now();
  const wth = wthColumns(dir);
  const tickers = firstTickers(dir, 4000);
  const sets: Record<string, BenchStream[]> = {
    weather: weatherStreams(dir, wth, 4000),
    stocks: stockStreams(dir, tickers).filter((s) => s.values.length > 200),
    health: heartRateStreams(dir, 12, 200, 20_000).filter(
      (s) => s.values.length > 200 && !s.imputed.subarray(0, STEPS + 1).some((v) => v === 1),
    ),
  };
  const result: Record<string, DomainResult> = {};
  for (const [name, streams] of Object.entries(sets)) {
    result[name] = domain(streams, 60, 5);
    console.error(
      `${name}: ${result[name].train} training streams, ${result[name].fresh} new, fit ${result[name].fitSeconds.toFixed(1)} s`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    console.log(JSON.stringify({ ...result, seconds }));
    return;
  }
  console.log(
    `\nNew streams' first ${STEPS} steps, one-step forecasts: MSE (data units, mean over new streams) and MSE / naive per stream (mean)`,
  );
  console.log(
    `| domain | train / new | ${METHODS.map((m) => `${m} MSE`).join(' | ')} | ${METHODS.map((m) => `${m} / naive`).join(' | ')} |`,
  );
  console.log(`|---|---|${METHODS.map(() => '---|').join('')}${METHODS.map(() => '---|').join('')}`);
  for (const [name, r] of Object.entries(result)) {
    console.log(
      `| ${name} | ${r.train} / ${r.fresh} | ${METHODS.map((m) => r.mse[m].toPrecision(4)).join(' | ')} | ${METHODS.map((m) => r.ratio[m].toFixed(3)).join(' | ')} |`,
    );
  }
  console.log(`total ${seconds.toFixed(1)} s`);
}

main();

// bench:classify: the many-to-one classifiers of issue 13 on the three domains (weather: WTH columns,
// hourly; stocks: S&P 500 daily closes; health: Fitbit heart rate per minute; alerts-data.ts).
// - Regime of the coming horizon (src/forecasting/regime-classifier.ts): falling / flat / rising with
//   the domain pipeline's horizon (pipelines/demo.yaml: 12, 5, 15), one classifier per domain fed the
//   streams step by step as the daemon would; each origin's label is known H steps later (leak-free).
//   Scored on every origin after the first 20% of each stream, against the majority class (in
//   hindsight, over the scored origins) and "same as last window" (the regime of the horizon that just
//   ended). No forecast feature here (the engine gives it live).
// - Deviation kind (src/forecasting/deviation-classifier.ts): spike / level shift / variance / stuck,
//   learned self-supervised from synthetic injections into the first 40% of each stream, then scored on
//   anomalies injected into the rest (one at random per 100-200 steps, sizes as alerts-inject.ts),
//   classified at a detection step 0..min(len, 8)-1 into the anomaly. Baselines: majority class and
//   "same as the stream's last alert".
// Accuracy and macro-F1. `npm run bench:classify [-- --json] [-- --data DIR]`
import { performance } from 'node:perf_hooks';
import { DEVIATION_KINDS, DeviationClassifier } from '../src/forecasting/deviation-classifier.js';
import { REGIMES, RegimeClassifier } from '../src/forecasting/regime-classifier.js';
import { Prng } from '../src/training/prng.js';
import { firstTickers, heartRateStreams, stockStreams, weatherStreams, wthColumns, type BenchStream } from './alerts-data.js';
import { diffScale } from './alerts-inject.js';

interface Score {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly n: number;
}
type Block = Record<'classifier' | 'majority' | 'sameAsLast', Score>;

/** Accuracy and macro-F1 (mean F1 over the classes that occur as truth or prediction). */
function score(truth: readonly number[], pred: readonly number[], classes: number): Score {
  const tp = new Float64Array(classes),
    fp = new Float64Array(classes),
    fn = new Float64Array(classes);
  let right = 0;
  truth.forEach((y, i) => {
    const p = pred[i];
    if (p === y) {
      right++;
      tp[y]++;
    } else {
      fp[p]++;
      fn[y]++;
    }
  });
  let f1 = 0,
    used = 0;
  for (let k = 0; k < classes; k++) {
    if (tp[k] + fp[k] + fn[k] === 0) continue;
    f1 += (2 * tp[k]) / (2 * tp[k] + fp[k] + fn[k]);
    used++;
  }
  return { accuracy: right / truth.length, macroF1: f1 / used, n: truth.length };
}

function majorityOf(truth: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const y of truth) counts[y]++;
  const top = counts.indexOf(Math.max(...counts));
  return truth.map(() => top);
}

const argmax = (p: Float64Array) => {
  let k = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[k]) k = i;
  return k;
};

function regimeBench(streams: readonly BenchStream[], horizon: number): Block & { classes: Record<string, number> } {
  const c = new RegimeClassifier({ horizon });
  const len = Math.max(...streams.map((s) => s.values.length));
  const pred = streams.map((s) => new Int8Array(s.values.length).fill(-1));
  const last = streams.map((s) => new Int8Array(s.values.length).fill(-1));
  const truth = streams.map((s) => new Int8Array(s.values.length).fill(-1));
  const p = new Float64Array(3);
  for (let t = 0; t < len; t++) {
    streams.forEach((s, j) => {
      if (t >= s.values.length) return;
      c.observe(s.key, s.values[t]);
      if (c.probabilities(s.key, p)) pred[j][t] = argmax(p);
      last[j][t] = c.lastRegime(s.key);
      if (t >= horizon) truth[j][t - horizon] = c.lastRegime(s.key);
    });
  }
  const ys: number[] = [],
    ps: number[] = [],
    ls: number[] = [];
  streams.forEach((s, j) => {
    for (let t = Math.floor(0.2 * s.values.length); t < s.values.length; t++) {
      if (truth[j][t] < 0 || pred[j][t] < 0 || last[j][t] < 0) continue;
      ys.push(truth[j][t]);
      ps.push(pred[j][t]);
      ls.push(last[j][t]);
    }
  });
  const classes = Object.fromEntries(REGIMES.map((r, k) => [r, ys.filter((y) => y === k).length / ys.length]));
  return { classifier: score(ys, ps, 3), majority: score(ys, majorityOf(ys, 3), 3), sameAsLast: score(ys, ls, 3), classes };
}

function deviationBench(streams: readonly BenchStream[], seed: number): Block {
  const c = new DeviationClassifier({ seed });
  const rng = new Prng(seed);
  // Self-supervised learning on the first 40% of every stream, interleaved across streams.
  const maxLen = Math.max(...streams.map((s) => s.values.length));
  for (let end = c.window; end < 0.4 * maxLen; end += 3) {
    for (const s of streams)
      if (end < 0.4 * s.values.length && !s.imputed.subarray(end - c.window, end).some((v) => v === 1)) c.learnFromClean(s.values, end);
  }
  const ys: number[] = [],
    ps: number[] = [],
    ls: number[] = [];
  const p = new Float64Array(DEVIATION_KINDS.length);
  for (const s of streams) {
    const sd = diffScale(s.values, s.imputed);
    const v = s.values.slice();
    let previous = -1;
    for (let start = Math.floor(0.4 * v.length) + c.window; start + 40 < v.length; start += 100 + rng.int(101)) {
      const kind = rng.int(DEVIATION_KINDS.length);
      const len = kind === 0 ? 1 : 24;
      const sign = rng.next() < 0.5 ? -1 : 1;
      const shift = sign * rng.uniform(4, 6) * sd,
        noise = rng.uniform(3, 4) * sd;
      for (let i = start; i < start + len; i++) {
        if (kind === 0) v[i] += sign * rng.uniform(6, 9) * sd;
        else if (kind === 1) v[i] += shift;
        else if (kind === 2) v[i] += noise * rng.normal();
        else v[i] = v[start - 1];
      }
      const at = start + (kind === 0 ? 0 : rng.int(Math.min(len, c.recent)));
      if (!c.classify(v, at + 1, p)) continue;
      ys.push(kind);
      ps.push(argmax(p));
      ls.push(previous < 0 ? 0 : previous);
      previous = kind;
    }
  }
  return { classifier: score(ys, ps, 4), majority: score(ys, majorityOf(ys, 4), 4), sameAsLast: score(ys, ls, 4) };
}

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const dir = args.includes('--data') ? args[args.indexOf('--data') + 1] : (process.env.TIDECAST_DATA ?? '/work/shared/data');
  const started = performance.now();
  const wth = wthColumns(dir);
  const tickers = firstTickers(dir, 4000);
  const domains: Record<string, { streams: BenchStream[]; horizon: number }> = {
    weather: { streams: weatherStreams(dir, wth, 40_000), horizon: 12 },
    stocks: { streams: stockStreams(dir, tickers), horizon: 5 },
    health: { streams: heartRateStreams(dir, 8, 600, 20_000), horizon: 15 },
  };
  const result: Record<string, { streams: number; steps: number; regime: ReturnType<typeof regimeBench>; deviation: Block }> = {};
  for (const [name, d] of Object.entries(domains)) {
    const streams = d.streams.filter((s) => s.values.length >= 200);
    result[name] = {
      streams: streams.length,
      steps: streams.reduce((a, s) => a + s.values.length, 0),
      regime: regimeBench(streams, d.horizon),
      deviation: deviationBench(streams, 7),
    };
    console.error(`${name}: ${streams.length} streams done`);
  }
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    console.log(JSON.stringify({ ...result, seconds }));
    return;
  }
  console.log('\nRegime of the coming horizon (falling / flat / rising) and deviation kind at injected anomalies: accuracy / macro-F1');
  console.log(
    '| domain | task | streams | scored | classifier acc | classifier F1 | majority acc | majority F1 | same as last acc | same as last F1 |\n|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [name, r] of Object.entries(result)) {
    for (const [task, b] of [
      ['regime', r.regime],
      ['deviation', r.deviation],
    ] as const) {
      const f = (s: Score) => `${s.accuracy.toFixed(3)} | ${s.macroF1.toFixed(3)}`;
      console.log(`| ${name} | ${task} | ${r.streams} | ${b.classifier.n} | ${f(b.classifier)} | ${f(b.majority)} | ${f(b.sameAsLast)} |`);
    }
  }
  console.log(
    `regime class shares: ${Object.entries(result)
      .map(
        ([n, r]) =>
          `${n} ${Object.entries(r.regime.classes)
            .map(([k, v]) => `${k} ${v.toFixed(2)}`)
            .join(' ')}`,
      )
      .join('; ')}`,
  );
  console.log(`total ${seconds.toFixed(1)} s`);
}

main();

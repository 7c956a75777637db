// bench:repair (issue 13): gap repair of backfilled history. Random stretches of 6, 24 and 96 steps
// are hidden in ETTh2, WTH (hourly, every column a series) and the Fitbit heart rate (8 people,
// resampled to 1-minute means); each method fills them and is scored by the MSE of the filled
// values against the hidden truth, in z units of each series (its observed mean and std), averaged
// over all hidden steps of a data set and gap length. Methods: linear interpolation, forward fill,
// seasonal copy (one season earlier), seasonal-linear (linear on the deseasonalised series: the
// repair's baseline) and the bidirectional repair (src/repair: a BiGRU trained on the data set
// itself, with the hidden stretches already hidden, to correct its baseline: seasonal-linear, or
// linear where the season does not help on the repairer's own held-out stretches), its fill blended
// with simpler fills of the same window by weights learned on the data's own hidden stretches).
// The hidden gaps are placed where the truth is observed, at least 96 steps apart (seeded).
// `npm run bench:repair [-- --json] [-- --data DIR] [-- --only ETTh2,WTH,heart] [-- --batches N] [-- --gaps K] [-- --units U] [-- --context C]`
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fastestKernels } from '../src/models/kernels/fastest-kernels.js';
import { forwardFill, linearFill, seasonalCopy, seasonalLinearFill, seasonalProfile } from '../src/repair/baselines.js';
import { GapRepairer, REPAIR_DEFAULTS, type RepairSeries } from '../src/repair/gap-repairer.js';
import { Prng } from '../src/training/prng.js';
import { loadDataset } from './accuracy-data.js';

const GAPS = [6, 24, 96] as const;
const METHODS = ['linear', 'forwardFill', 'seasonalCopy', 'seasonalLinear', 'bidirectional'] as const;
type Method = (typeof METHODS)[number];

interface DataSet {
  readonly name: string;
  readonly period: number;
  readonly series: Float64Array[];
  readonly phase0: number[];
}

function hourly(dir: string, name: 'ETTh2' | 'WTH'): DataSet {
  const d = loadDataset(dir, name);
  const series = Array.from({ length: d.columns }, (_, c) => Float64Array.from({ length: d.rows }, (_, r) => d.values[r * d.columns + c]));
  const phase = new Date(d.timesMs[0]).getUTCHours();
  return { name, period: 24, series, phase0: series.map(() => phase) };
}

/** Fitbit heart rate: per person, 1-minute means on the grid from their first to last sample. */
function heartRate(dir: string): DataSet {
  const lines = readFileSync(resolve(dir, 'health/fitbit_heartrate.csv'), 'utf8').split('\n');
  const byStream = new Map<string, { t: number[]; v: number[] }>();
  for (let i = 1; i < lines.length; i++) {
    const [stream, ts, value] = lines[i].split(',');
    if (value === undefined) continue;
    const t = Date.parse(`${ts}Z`);
    const v = Number(value);
    if (!Number.isFinite(t) || !Number.isFinite(v)) continue;
    let s = byStream.get(stream);
    if (s === undefined) byStream.set(stream, (s = { t: [], v: [] }));
    s.t.push(t);
    s.v.push(v);
  }
  const series: Float64Array[] = [];
  const phase0: number[] = [];
  for (const { t, v } of byStream.values()) {
    const start = Math.floor(Math.min(...t) / 60_000),
      end = Math.floor(Math.max(...t) / 60_000);
    if (end - start < 1440) continue; // under a day: too short to hide gaps in
    const sum = new Float64Array(end - start + 1),
      cnt = new Float64Array(end - start + 1);
    for (let i = 0; i < t.length; i++) {
      const m = Math.floor(t[i] / 60_000) - start;
      sum[m] += v[i];
      cnt[m]++;
    }
    series.push(Float64Array.from(sum, (s, m) => (cnt[m] > 0 ? s / cnt[m] : NaN)));
    phase0.push(start % 1440);
  }
  return { name: 'heart', period: 1440, series, phase0 };
}

interface Hidden {
  readonly series: number;
  readonly start: number;
  readonly length: number;
  readonly truth: Float64Array;
}

/** Hides `perSeries` stretches of each gap length in every series (truth observed, apart by `margin`). */
function hide(data: DataSet, perSeries: number, margin: number, rng: Prng): { masked: Float64Array[]; hidden: Hidden[] } {
  const masked = data.series.map((s) => s.slice());
  const hidden: Hidden[] = [];
  data.series.forEach((s, si) => {
    const used = new Uint8Array(s.length);
    // Longest first: the long stretches are the hardest to place among a series' own gaps.
    for (const g of [...GAPS].reverse()) {
      let placed = 0;
      for (let tries = 0; placed < perSeries && tries < perSeries * 200; tries++) {
        const a = margin + rng.int(Math.max(1, s.length - g - 2 * margin));
        let ok = a + g + margin <= s.length;
        for (let t = a - margin; ok && t < a + g + margin; t++) if (used[t] === 1) ok = false;
        for (let t = a; ok && t < a + g; t++) if (!Number.isFinite(s[t])) ok = false;
        // Observed ends, so every method has both sides.
        if (!ok || !Number.isFinite(s[a - 1]) || !Number.isFinite(s[a + g])) continue;
        used.fill(1, a - margin, a + g + margin);
        hidden.push({ series: si, start: a, length: g, truth: s.slice(a, a + g) });
        masked[si].fill(NaN, a, a + g);
        placed++;
      }
    }
  });
  return { masked, hidden };
}

type Scores = Record<string, Record<Method, number> & { gaps: number; steps: number; ratioSe: number }>;

/** Jackknife standard error (over the hidden gaps) of Σ a / Σ b: how much the ratio moves with the stretches drawn. */
function jackknifeSe(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  if (n < 2) return Number.NaN;
  const A = a.reduce((p, q) => p + q, 0),
    B = b.reduce((p, q) => p + q, 0);
  const loo = a.map((ai, i) => (A - ai) / (B - b[i]));
  const mean = loo.reduce((p, q) => p + q, 0) / n;
  return Math.sqrt(((n - 1) / n) * loo.reduce((p, q) => p + (q - mean) ** 2, 0));
}

function measure(
  data: DataSet,
  o: { batches: number; perSeries: number; units: number; context: number; say: (s: string) => void },
): { scores: Scores; fit: Record<string, unknown> } {
  const settings = { ...REPAIR_DEFAULTS, period: data.period, trainBatches: o.batches, units: o.units, contextSteps: o.context };
  // The same hidden stretches whatever the repair's settings: apart by the longest gap.
  const { masked, hidden } = hide(data, o.perSeries, GAPS[GAPS.length - 1], new Prng(42));
  const repairer = new GapRepairer(settings, fastestKernels());
  const series: RepairSeries[] = masked.map((values, i) => ({ values, phase0: data.phase0[i] }));
  const fit = repairer.fit(series);
  o.say(
    `${data.name}: ${data.series.length} series, ${hidden.length} hidden gaps; fit ${fit.seconds.toFixed(1)} s, held-out MSE baseline ${fit.baselineMse.toFixed(4)} -> network ${fit.networkMse.toFixed(4)} (use network: ${fit.useNetworkFor}; season in the baseline: ${fit.useSeason}); blend ${fit.unblendedMse.toFixed(4)} -> ${fit.blendMse.toFixed(4)} (use blend: ${fit.useBlendFor})`,
  );
  const fills: Record<Method, Float64Array[]> = { linear: [], forwardFill: [], seasonalCopy: [], seasonalLinear: [], bidirectional: [] };
  const scales = series.map((s) => repairer.scaleOf(s));
  masked.forEach((m, i) => {
    const out = () => new Float64Array(m.length);
    const lin = out();
    linearFill(m, lin);
    fills.linear.push(lin);
    const ff = out();
    forwardFill(m, ff);
    fills.forwardFill.push(ff);
    const sc = out();
    seasonalCopy(m, data.period, sc);
    fills.seasonalCopy.push(sc);
    const sl = out();
    seasonalLinearFill(m, seasonalProfile(m, data.period), data.phase0[i], sl);
    fills.seasonalLinear.push(sl);
    fills.bidirectional.push(repairer.repair(series[i], scales[i]).values);
  });
  const scores = {} as Scores;
  for (const g of GAPS) {
    const row = { gaps: 0, steps: 0 } as Scores[string];
    for (const m of METHODS) {
      let sse = 0,
        n = 0;
      for (const h of hidden) {
        if (h.length !== g) continue;
        const std = scales[h.series].std;
        for (let i = 0; i < g; i++) {
          sse += ((fills[m][h.series][h.start + i] - h.truth[i]) / std) ** 2;
          n++;
        }
      }
      row[m] = sse / n;
      row.steps = n;
    }
    row.gaps = hidden.filter((h) => h.length === g).length;
    const perGap = (m: Method) =>
      hidden
        .filter((h) => h.length === g)
        .map((h) => {
          const std = scales[h.series].std;
          let e = 0;
          for (let i = 0; i < g; i++) e += ((fills[m][h.series][h.start + i] - h.truth[i]) / std) ** 2;
          return e;
        });
    row.ratioSe = jackknifeSe(perGap('bidirectional'), perGap('linear'));
    scores[String(g)] = row;
  }
  return {
    scores,
    fit: {
      ...fit,
      series: data.series.length,
      period: data.period,
      batches: o.batches,
      batch: settings.batch,
      units: settings.units,
      cell: settings.cell,
      contextSteps: settings.contextSteps,
    },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const json = args.includes('--json');
  const dir = at('--data') ?? resolve(new URL('..', import.meta.url).pathname, '../shared/data');
  const only = at('--only')?.split(',') ?? ['ETTh2', 'WTH', 'heart'];
  const batches = Number(at('--batches') ?? REPAIR_DEFAULTS.trainBatches);
  const perSeries = Number(at('--gaps') ?? 12);
  const units = Number(at('--units') ?? REPAIR_DEFAULTS.units);
  const context = Number(at('--context') ?? REPAIR_DEFAULTS.contextSteps);
  const say = (s: string) => console.error(s);
  const started = performance.now();
  const result: Record<string, unknown> = {};
  for (const name of only) {
    const data = name === 'heart' ? heartRate(dir) : hourly(dir, name as 'ETTh2' | 'WTH');
    result[name] = measure(data, { batches, perSeries, units, context, say });
  }
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    console.log(JSON.stringify({ ...result, seconds }));
    return;
  }
  console.log('\nGap repair: MSE of the filled values (z units per series), hidden stretches of 6 / 24 / 96 steps');
  console.log(
    `| set | gap | gaps | ${METHODS.join(' | ')} | bidirectional / linear (± jackknife se over the gaps) |\n|---|---|---|${METHODS.map(() => '---|').join('')}---|`,
  );
  for (const [name, r] of Object.entries(result)) {
    for (const [g, row] of Object.entries((r as { scores: Scores }).scores)) {
      console.log(
        `| ${name} | ${g} | ${row.gaps} | ${METHODS.map((m) => row[m].toFixed(4)).join(' | ')} | ${(row.bidirectional / row.linear).toFixed(2)}x ± ${row.ratioSe.toFixed(2)} |`,
      );
    }
  }
  console.log(`total ${seconds.toFixed(1)} s`);
}

await main();

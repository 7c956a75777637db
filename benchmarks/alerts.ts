// npm run bench:alerts [-- --json]: alert quality on real streams with injected, labelled anomalies.
// Per anomaly kind: event-level precision, recall, F1 and median detection delay of Tidecast's alert
// engine, a fixed-threshold baseline and a rolling z-score baseline, plus score calibration on the
// same streams without anomalies.
import { heartRateStreams, stockStreams, weatherStreams, dataDir, type BenchStream } from './alerts-data.js';
import { runThreshold, runTidecast, runZScore, type TidecastRun } from './alerts-detectors.js';
import { engineSpec, fitDomain, runEngine, type EngineDomain } from './alerts-engine.js';
import { RlsArForecaster } from './alerts-forecaster.js';
import { inject, KINDS, type AnomalyKind } from './alerts-inject.js';
import { EventTally } from './alerts-metrics.js';
import { mulberry32 } from './alerts-random.js';
import { printSkab, runSkab, SKAB_DIR, skabJson, type SkabResult } from './alerts-skab.js';
import { AlertingOptions } from '../src/alerting/rule-options.js';

const HORIZONS = 12;
const TOLERANCE = 3;
const THRESHOLD_K = 3;
const ZSCORE_WINDOW = 48;
const ZSCORE_K = 3.5;
const DETECTORS = ['tidecast', 'combined', 'threshold', 'zscore'] as const;

/**
 * The alerting section the bench runs: what a pipeline file would say (scorer defaults), with the
 * rules' times in the domain's steps. Thresholds were chosen once on seed 0, then deviation
 * (0.9999 -> 0.9997) and stuck (5 -> 6) re-chosen on the worst margin over seeds 0, 1, 2 and 50000.
 * With the served forecaster of #18 (narrower, calibrated bands) most false alarms came 60+ steps
 * away from any anomaly and noise bursts were missed, so (on seeds 0, 1, 2): deviation back to
 * 0.9999 with a cooldown of 48 steps (a resolved deviation's next episode within 48 steps is the
 * same incident), and a `noise` rule on the combined detector's variance part (detector
 * `variance`, -log10 p 12). Spike, variance, stuck and drift F1 rose on all three seeds; level
 * shift fell (0.625 -> 0.595 on seed 0): its misses are shifts the one-step forecaster follows
 * within a step, which the 0.9997 threshold had caught at the cost of false alarms everywhere.
 */
export function benchAlerting(stepMs: number) {
  return {
    storm_control: { max_per_minute: 1_000_000 },
    scorer: { horizons: HORIZONS, ...(CUSUM ? { cusum_k: CUSUM.k, cusum_h: CUSUM.h, cusum_clip: CUSUM.clip } : {}) },
    rules: [
      {
        name: 'deviation',
        detector: 'score',
        warning: 0.9999,
        critical: 0.999999,
        resolve_below: 0.99,
        resolve_steps: 3,
        cooldown_ms: 48 * stepMs,
      },
      { name: 'noise', detector: 'variance', warning: 12, resolve_below: 2, resolve_steps: 3 },
      { name: 'dynamic', detector: 'dynamic_threshold', warning: 1, for: 2, resolve_steps: 3 },
      { name: 'horizon', detector: 'horizon', warning: HORIZONS, for: 4, resolve_steps: 3, cooldown_ms: 12 * stepMs },
      { name: 'stuck', detector: 'flatline', warning: 6, resolve_steps: 1 },
      ...(CUSUM ? [{ name: 'shift', detector: 'cusum', warning: CUSUM.h, resolve_steps: 3 }] : []),
    ],
  };
}

/**
 * The `combined` row: Tidecast with one rule instead of the four, the combined detector
 * (src/alerting/combined-detector.ts: spike, level, variance, seasonal and stuck parts on one
 * surprise scale). --combined=W sets its warning (default chosen on seed 0).
 */
const COMBINED_WARNING = Number(process.argv.find((a) => a.startsWith('--combined='))?.slice(11) ?? 6);

export function combinedAlerting(stepMs: number) {
  // The seasonal part's season: one day of steps where that is a whole number (not for daily stocks).
  const day = 86_400_000 / stepMs;
  return {
    storm_control: { max_per_minute: 1_000_000 },
    scorer: { horizons: HORIZONS, season_steps: Number.isInteger(day) && day >= 2 && day <= 1440 ? day : 0 },
    rules: [{ name: 'combined', detector: 'combined', warning: COMBINED_WARNING, resolve_below: 2, resolve_steps: 3 }],
  };
}

/**
 * --cusum=K,H,CLIP adds a CUSUM rule (`shift`, src/alerting/cusum.ts) with those scorer settings.
 * Off by default: on these streams it lowers every margin (see src/alerting/README.md).
 */
const CUSUM = parseCusum(process.argv.find((a) => a.startsWith('--cusum='))?.slice(8));

function parseCusum(arg: string | undefined): { k: number; h: number; clip: number } | null {
  if (arg === undefined) return null;
  const [k, h, clip] = arg.split(',').map(Number);
  if (![k, h, clip].every(Number.isFinite)) throw new Error(`--cusum=K,H,CLIP expects three numbers, got ${arg}`);
  return { k, h, clip };
}
const SEED = Number(process.argv.find((a) => a.startsWith('--seed='))?.slice(7) ?? 0);

interface Domain {
  readonly name: string;
  readonly streams: BenchStream[];
  readonly from: number;
  readonly length: number;
  readonly minGap: number;
  readonly maxGap: number;
  /** Model inputs and normaliser of the engine's pipeline for this domain. */
  readonly features: Record<string, unknown>;
  readonly normaliseHalfLife: number;
  /** Disjoint data (other time span, tickers or days) the engine's model is fitted on. */
  readonly fitStreams: BenchStream[];
}

const MODEL = { cell: 'gru', layers: 1, units: 16, horizon: HORIZONS, seed: 1 };

const FIT_STEPS = 2000;

function domains(): Domain[] {
  const dir = dataDir();
  const weather = ['DryBulbFarenheit', 'RelativeHumidity', 'StationPressure', 'WetBulbCelsius'];
  const health = heartRateStreams(dir, 6, 600, 4000);
  const evalKeys = new Set(health.map((s) => s.key));
  return [
    {
      name: 'weather',
      streams: weatherStreams(dir, weather, 6000),
      fitStreams: weatherStreams(dir, weather, FIT_STEPS, 8760),
      from: 300,
      length: 24,
      minGap: 150,
      maxGap: 300,
      features: { lags: [1, 2, 3, 24], diffs: [1], calendar: true },
      normaliseHalfLife: 336,
    },
    {
      name: 'stocks',
      streams: stockStreams(dir, ['CVX', 'HD', 'JNJ', 'JPM', 'KO', 'MMM', 'PEP', 'PG', 'T', 'XOM']),
      fitStreams: stockStreams(dir, [
        'ABT',
        'ADP',
        'AFL',
        'APD',
        'BDX',
        'CL',
        'CLX',
        'COST',
        'DUK',
        'ED',
        'GIS',
        'HSY',
        'KMB',
        'LMT',
        'MCD',
        'MDT',
        'NEE',
        'SO',
        'WM',
        'VZ',
      ]),
      from: 300,
      length: 10,
      minGap: 60,
      maxGap: 120,
      features: { lags: [1, 2, 3], diffs: [1], calendar: false },
      normaliseHalfLife: 60,
    },
    {
      name: 'health',
      streams: health,
      fitStreams: heartRateStreams(dir, 8, 300, 100_000).filter((s) => !evalKeys.has(s.key)),
      from: 300,
      length: 20,
      minGap: 100,
      maxGap: 200,
      features: { lags: [1, 2, 3], diffs: [1], calendar: true },
      normaliseHalfLife: 336,
    },
  ];
}

/** Runs Tidecast over one copy of every stream of a domain (with the bench's rules, or `alerting`). */
type TidecastRunner = (d: Domain, values: readonly Float64Array[], alerting?: unknown) => TidecastRun[];

/** The real engine (default): PipelineEngine with a model fitted on each stream's clean start. */
async function engineRunner(ds: readonly Domain[]): Promise<{ run: TidecastRunner; name: string; fit: string }> {
  const fitted = new Map<string, EngineDomain>();
  for (const d of ds) {
    const name = `bench-${d.name}`;
    const spec = (csv: string) =>
      engineSpec(name, d.streams[0].stepMs, MODEL, d.features, d.normaliseHalfLife, benchAlerting(d.streams[0].stepMs), FIT_STEPS, csv);
    fitted.set(d.name, await fitDomain(name, d.fitStreams, FIT_STEPS, spec));
  }
  const fit = [...fitted.values()]
    .map((f) => `${f.name} NLL ${f.fitLoss[0].toFixed(3)} -> ${f.fitLoss[1].toFixed(3)} in ${f.fitSeconds.toFixed(1)} s`)
    .join('; ');
  return {
    run: (d, values, alerting) => {
      const f = fitted.get(d.name)!;
      const domain = alerting === undefined ? f : { ...f, spec: { ...f.spec, alerting: AlertingOptions.parse(alerting) } };
      return runEngine(domain, d.streams, values, d.from);
    },
    name: `engine: PipelineEngine (src/runtime) with ${MODEL.cell}×${MODEL.units} from src/models, fitted offline (TBPTT, up to ${FIT_STEPS} steps per stream) on disjoint data: other years, tickers and days`,
    fit,
  };
}

/** The stand-in (--forecaster=rls): online AR in the bench, scored by AlertEngine directly. */
function rlsRunner(): { run: TidecastRunner; name: string; fit: string } {
  return {
    run: (d, values, alerting) => {
      const forecaster = new RlsArForecaster(
        HORIZONS,
        d.streams.map((s) => s.season),
      );
      return d.streams.map((s, k) => runTidecast(s, values[k], forecaster, k, alerting ?? benchAlerting(s.stepMs), d.from));
    },
    name: new RlsArForecaster(HORIZONS, []).name,
    fit: 'none (online)',
  };
}

/**
 * --real adds the SKAB part (alerts-skab.ts: Tidecast through replay and the baselines on real
 * labelled pump data, scored like ../shared/eval/skab/score.py); --real-only runs just that part.
 * --predictions=DIR: where each detector's SKAB predictions go (default var/skab-predictions).
 */
async function realPart(json: boolean): Promise<SkabResult> {
  const dir = process.argv.find((a) => a.startsWith('--predictions='))?.slice(14) ?? 'var/skab-predictions';
  return runSkab(SKAB_DIR, dir, 'var/tmp/skab-replay', json ? undefined : (p) => process.stderr.write(`SKAB ${p}\n`));
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  if (process.argv.includes('--real-only')) {
    const skab = await realPart(json);
    if (json) process.stdout.write(`${JSON.stringify({ skab: skabJson(skab) })}\n`);
    else printSkab(skab);
    return;
  }
  // --rules: which rule opened each alert, in which domain, inside a window or not (for tuning).
  const byRule = process.argv.includes('--rules') ? new Map<string, number>() : null;
  const started = performance.now();
  const ds = domains();
  const all = ds.flatMap((d) => d.streams);
  const runner = process.argv.includes('--forecaster=rls') ? rlsRunner() : await engineRunner(ds);
  const tallies = new Map<string, EventTally>();
  const tally = (k: AnomalyKind, d: string) => tallies.get(`${k}/${d}`) ?? tallies.set(`${k}/${d}`, new EventTally()).get(`${k}/${d}`)!;
  let steps = 0;
  KINDS.forEach((kind, ki) => {
    for (const d of ds) {
      const injected = d.streams.map((s, k) =>
        inject(s.values, s.imputed, kind, d, mulberry32(1000 * ki + 100 * ds.indexOf(d) + k + 1 + SEED)),
      );
      const runs = runner.run(
        d,
        injected.map((x) => x.values),
      );
      const combined = runner.run(
        d,
        injected.map((x) => x.values),
        combinedAlerting(d.streams[0].stepMs),
      );
      d.streams.forEach((s, k) => {
        const { values, windows } = injected[k];
        tally(kind, 'tidecast').add(windows, runs[k].onsets, TOLERANCE);
        tally(kind, 'combined').add(windows, combined[k].onsets, TOLERANCE);
        if (byRule) {
          tally(kind, `tidecast@${d.name}`).add(windows, runs[k].onsets, TOLERANCE);
          tally(kind, `zscore@${d.name}`).add(windows, runZScore(s, values, d.from, ZSCORE_WINDOW, ZSCORE_K), TOLERANCE);
        }
        tally(kind, 'threshold').add(windows, runThreshold(s, values, d.from, THRESHOLD_K), TOLERANCE);
        tally(kind, 'zscore').add(windows, runZScore(s, values, d.from, ZSCORE_WINDOW, ZSCORE_K), TOLERANCE);
        if (byRule)
          runs[k].onsets.forEach((o, i) => {
            const inside = windows.some((w) => o >= w.start && o <= w.end + TOLERANCE);
            const key = `${kind} ${s.domain} ${runs[k].rules[i]} ${inside ? 'hit' : 'false'}`;
            byRule.set(key, (byRule.get(key) ?? 0) + 1);
          });
        steps += values.length;
      });
    }
  });
  // Calibration on the streams as they are (no injected anomalies).
  // Every alert on the streams as they are counts as a false alarm: per rule, per 1000 scored steps.
  let scored = 0,
    above = 0;
  const cleanAlarms: Record<string, number> = {};
  for (const d of ds) {
    for (const r of runner.run(
      d,
      d.streams.map((s) => s.values),
    )) {
      scored += r.scored;
      above += r.above099;
      for (const rule of r.rules) cleanAlarms[rule] = (cleanAlarms[rule] ?? 0) + 1;
    }
    for (const r of runner.run(
      d,
      d.streams.map((s) => s.values),
      combinedAlerting(d.streams[0].stepMs),
    )) {
      for (const rule of r.rules) cleanAlarms[rule] = (cleanAlarms[rule] ?? 0) + 1;
    }
    steps += d.streams.reduce((n, s) => n + s.values.length, 0);
  }
  const kinds: Record<string, Record<string, ReturnType<EventTally['summary']>>> = {};
  for (const k of KINDS) kinds[k] = Object.fromEntries(DETECTORS.map((d) => [d, tally(k, d).summary()]));
  const result = {
    kinds,
    calibration: {
      shareAbove099: Math.round((above / scored) * 1e5) / 1e5,
      scoredSteps: scored,
      alarmsPer1kSteps: Object.fromEntries(
        Object.entries(cleanAlarms)
          .sort()
          .map(([k, n]) => [k, Math.round((1e6 * n) / scored) / 1e3]),
      ),
    },
    forecaster: runner.name,
    fit: runner.fit,
    streams: all.length,
    steps,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  if (byRule) for (const [k, v] of [...byRule].sort()) console.error(`${k}: ${v}`);
  if (byRule)
    for (const [k, v] of [...tallies].sort())
      if (k.includes('@')) console.error(k, JSON.stringify(v.summary()), v.detected, v.missed, v.falseAlarms);
  const skab = process.argv.includes('--real') ? await realPart(json) : null;
  if (json) {
    process.stdout.write(`${JSON.stringify(skab ? { skab: skabJson(skab), synthetic: result } : result)}\n`);
    return;
  }
  printTable(result, ds);
  if (skab) {
    console.log('');
    printSkab(skab);
  }
}

function printTable(
  result: {
    kinds: Record<string, Record<string, ReturnType<EventTally['summary']>>>;
    calibration: { shareAbove099: number; scoredSteps: number; alarmsPer1kSteps: Record<string, number> };
    forecaster: string;
    fit: string;
    streams: number;
    steps: number;
    seconds: number;
  },
  ds: Domain[],
): void {
  console.log(
    `Alerting bench: ${result.streams} real streams (${ds.map((d) => `${d.streams.length} ${d.streams[0]?.domain}`).join(', ')}), ${result.steps} steps, ${result.seconds} s`,
  );
  console.log(`Forecaster: ${result.forecaster}`);
  console.log(`Fit: ${result.fit}`);
  console.log(
    `Baselines: threshold = |x - mean| > ${THRESHOLD_K}·std of the warm-up; zscore = |x - mean| > ${ZSCORE_K}·std over the previous ${ZSCORE_WINDOW} steps; tolerance ${TOLERANCE} steps after a window.`,
  );
  console.log('');
  console.log(
    `${'kind'.padEnd(12)}${'detector'.padEnd(11)}${'precision'.padStart(10)}${'recall'.padStart(8)}${'f1'.padStart(7)}${'delay'.padStart(7)}   f1 margin`,
  );
  for (const [kind, byDet] of Object.entries(result.kinds)) {
    const best = Math.max(byDet.threshold.f1, byDet.zscore.f1);
    for (const d of DETECTORS) {
      const m = byDet[d];
      const margin = d === 'tidecast' || d === 'combined' ? `   ${(m.f1 - best >= 0 ? '+' : '') + (m.f1 - best).toFixed(3)}` : '';
      console.log(
        `${kind.padEnd(12)}${d.padEnd(11)}${m.precision.toFixed(3).padStart(10)}${m.recall.toFixed(3).padStart(8)}${m.f1.toFixed(3).padStart(7)}${String(m.medianDelaySteps).padStart(7)}${margin}`,
      );
    }
  }
  console.log('');
  console.log(
    `Calibration on anomaly-free streams: share of scores > 0.99 = ${(100 * result.calibration.shareAbove099).toFixed(2)}% of ${result.calibration.scoredSteps} scored steps (target 0.5% to 2%).`,
  );
  console.log(
    `Alerts on anomaly-free streams per 1000 scored steps, by rule: ${
      Object.entries(result.calibration.alarmsPer1kSteps)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || 'none'
    }.`,
  );
}

if (process.argv[1]?.endsWith('alerts.ts')) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}

// The real engine for the alerting bench: the daemon's PipelineEngine (operators -> model core ->
// AlertEngine), the same code path as `tidecast replay`. The model is fitted offline (TBPTT, the
// daemon's start-up fit) on disjoint data of the same domain, then every kind's injected copy runs
// through a fresh engine with those weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileSourceConfig } from '../connectors/file/config.js';
import { PipelineSpec } from '../src/config/pipeline-schema.js';
import type { Observation } from '../src/core/types.js';
import { collectFitData } from '../src/runtime/fit-data.js';
import type { SerializedWeights } from '../src/engine/model-runner.js';
import { offlineFit } from '../src/runtime/offline-fit.js';
import { PipelineEngine } from '../src/engine/pipeline-engine.js';
import { STEP_FORECAST } from '../src/engine/engine-forecast-steps.js';
import type { BenchStream } from './alerts-data.js';
import { RESOLVE_STEPS, type TidecastRun } from './alerts-detectors.js';

export interface EngineDomain {
  readonly name: string;
  readonly spec: PipelineSpec;
  readonly weights: SerializedWeights;
  readonly fitSeconds: number;
  readonly fitLoss: readonly [number, number];
}

const WORK = '/tmp/tidecast-bench-alerts';

/** The domain's pipeline spec, with the bench's alerting section. */
export function engineSpec(
  name: string,
  stepMs: number,
  model: Record<string, unknown>,
  features: Record<string, unknown>,
  normaliseHalfLife: number,
  alerting: unknown,
  fitSteps: number,
  csv: string,
): PipelineSpec {
  return PipelineSpec.parse({
    name,
    step_ms: stepMs,
    fields: [{ name: 'value', aggregation: 'last' }],
    sources: [{ kind: 'file', path: csv, key_column: 'stream' }],
    impute: { method: 'linear', max_gap_steps: 6 },
    normalise: { method: 'ewm_zscore', half_life_steps: normaliseHalfLife },
    features,
    model,
    training: { offline: { steps: fitSteps, max_streams: 64, epochs: 8, max_time_ms: 30_000 }, online: { enabled: false } },
    alerting,
    state: { dir: join(WORK, 'state', name) },
  });
}

/** Fits the model on the first `fitSteps` (clean) steps of every stream of a domain. */
export async function fitDomain(
  name: string,
  streams: readonly BenchStream[],
  fitSteps: number,
  build: (csv: string) => PipelineSpec,
): Promise<EngineDomain> {
  mkdirSync(WORK, { recursive: true });
  const csv = join(WORK, `${name}-fit.csv`);
  const rows = ['stream,timestamp,value'];
  for (const s of streams) {
    for (let i = 0; i < Math.min(fitSteps, s.values.length); i++)
      if (!s.imputed[i]) rows.push(`${s.key},${s.t0 + i * s.stepMs},${s.values[i]}`);
  }
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const spec = build(csv);
  const engine = new PipelineEngine(spec);
  const file = spec.sources[0] as FileSourceConfig & { kind: 'file' };
  const data = await collectFitData(spec, [file], fitSteps, streams.length);
  const report = offlineFit(spec, engine.runner, data);
  return {
    name,
    spec,
    weights: engine.runner.exportWeights(),
    fitSeconds: report.seconds,
    fitLoss: [report.initialLoss, report.finalLoss],
  };
}

/**
 * Runs streams (one injected copy each) through a fresh engine with the fitted weights. Returns,
 * per stream, the alert onsets (step indices; rules of one stream within RESOLVE_STEPS merged)
 * and the calibration counts from step `from` on.
 */
export function runEngine(
  domain: EngineDomain,
  streams: readonly BenchStream[],
  values: readonly Float64Array[],
  from: number,
): TidecastRun[] {
  const index = new Map(streams.map((s, k) => [s.key, k]));
  const runs = streams.map(() => ({
    onsets: [] as number[],
    rules: [] as string[],
    scored: 0,
    above099: 0,
    lastOnset: -Infinity,
    open: new Set<string>(),
  }));
  const stepOf = (k: number, t: number) => Math.round((t - streams[k].t0) / streams[k].stepMs);
  const engine: PipelineEngine = new PipelineEngine(domain.spec, {
    // Each step with a forecast, read in the alert stage right after it scored the step.
    scored: (steps, i) => {
      if ((steps.flags[i] & STEP_FORECAST) === 0) return;
      const k = index.get(steps.keys[i]);
      const s = engine.alerts.lastScore;
      if (k === undefined || !s.scored || stepOf(k, steps.t[i]) < from) return;
      runs[k].scored++;
      if (s.score > 0.99) runs[k].above099++;
    },
    alert: (e) => {
      const k = index.get(e.stream);
      if (k === undefined || e.state !== 'firing' || runs[k].open.has(e.id)) return;
      const r = runs[k];
      r.open.add(e.id);
      const i = stepOf(k, e.time);
      if (i < from) return;
      if (i - r.lastOnset > RESOLVE_STEPS) {
        r.onsets.push(i);
        r.rules.push(e.rule);
      }
      r.lastOnset = i;
    },
  });
  engine.runner.importWeights(domain.weights);
  // All streams' observations in event-time order, in batches, as a live feed would deliver them.
  const obs: Observation[] = [];
  streams.forEach((s, k) => {
    for (let i = 0; i < values[k].length; i++)
      if (!s.imputed[i]) obs.push({ key: s.key, eventTime: s.t0 + i * s.stepMs, fields: { value: values[k][i] } });
  });
  obs.sort((a, b) => a.eventTime - b.eventTime);
  for (let i = 0; i < obs.length; i += 512) engine.ingest(obs.slice(i, i + 512));
  engine.flush();
  return runs.map(({ onsets, rules, scored, above099 }) => ({ onsets, rules, scored, above099 }));
}

// One replay of a pipeline over a file, scored as it runs: the engine is driven by replayInto (the
// loop of `tidecast replay`: model prepared by prepareModel as the daemon does, offline-fit window
// unscored by alerting, retraining when the spec asks for it), and its listener
// hands every grid step (actual) and every forecast to a ForecastAccuracy. With model.online_head
// in the spec, the head's rows are scored by a second ForecastAccuracy the same way (its value at
// t and its forecasts for t + 1 .. t + H made after seeing t).
import { performance } from 'node:perf_hooks';
import type { PipelineSpec } from '../src/config/pipeline-schema.js';
import { ForecastAccuracy, type AccuracyOptions } from '../src/forecasting/forecast-accuracy.js';
import type { HeadRow } from '../src/forecasting/online-head.js';
import { PipelineEngine } from '../src/engine/pipeline-engine.js';
import { resolveAutoStep } from '../src/runtime/infer-step.js';
import { replayInto, replaySourceConfig } from '../src/runtime/replay/replay.js';
import { createLogger } from '../src/telemetry/logger.js';

export interface ServedRun {
  readonly served: ForecastAccuracy;
  readonly head: ForecastAccuracy | undefined;
  readonly rows: number;
  readonly steps: number;
  readonly streams: number;
  /** Whole replay, model preparation (offline fit) included. */
  readonly seconds: number;
  /** From the first grid step to the end: the stepping alone (reading and parsing the file included). */
  readonly stepSeconds: number;
  /** Process CPU time (user + system) over the same span: less sensitive than wall time to a busy machine. */
  readonly stepCpuSeconds: number;
}

export async function replayScored(fileSpec: PipelineSpec, input: string, options: Omit<AccuracyOptions, 'stepMs'>): Promise<ServedRun> {
  // As replayFile: step_ms auto becomes the input's own spacing.
  const spec = await resolveAutoStep(fileSpec, [replaySourceConfig(fileSpec, input)]);
  const served = new ForecastAccuracy({ ...options, stepMs: spec.step_ms });
  const head = spec.model.online_head === undefined ? undefined : new ForecastAccuracy({ ...options, stepMs: spec.step_ms });
  let firstStep = NaN;
  let firstCpu: NodeJS.CpuUsage | undefined;
  const engine = new PipelineEngine(spec, {
    actual: (key, t, value, imputed) => {
      if (Number.isNaN(firstStep)) {
        firstStep = performance.now();
        firstCpu = process.cpuUsage();
      }
      served.actual(key, t, value, imputed);
    },
    forecast: (f) => served.forecast(f.key, f.t, f.mean, f.lower, f.upper),
    forecastCopies: true, // ForecastAccuracy copies the values it keeps
    headRow: head === undefined ? undefined : headScorer(head, spec.model.online_head?.horizon ?? spec.model.horizon),
  });
  const started = performance.now();
  const log = createLogger({ level: 'warn', destination: process.stderr as never });
  const rows = await replayInto(engine, input, log);
  const end = performance.now();
  const cpu = process.cpuUsage(firstCpu);
  return {
    served,
    head,
    rows,
    steps: engine.stats.steps,
    streams: engine.runner.arena.size,
    seconds: (end - started) / 1000,
    stepSeconds: (end - (Number.isNaN(firstStep) ? started : firstStep)) / 1000,
    stepCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Feeds head rows to a scorer: per stream its value at t, then its forecasts for t + 1 .. t + H (strided by stream in the row). */
function headScorer(acc: ForecastAccuracy, horizon: number): (row: HeadRow) => void {
  let mean = new Float64Array(horizon);
  let none = new Float64Array(horizon).fill(NaN); // the head has no band
  return (row) => {
    const c = row.keys.length;
    const H = row.forecasts.length / c;
    if (mean.length !== H) {
      mean = new Float64Array(H);
      none = new Float64Array(H).fill(NaN);
    }
    for (let j = 0; j < c; j++) {
      acc.actual(row.keys[j], row.t, row.actual[j], row.imputed[j] === 1);
      for (let h = 0; h < H; h++) mean[h] = row.forecasts[h * c + j];
      acc.forecast(row.keys[j], row.t, mean, none, none);
    }
  };
}

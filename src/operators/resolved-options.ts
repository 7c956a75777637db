import { PipelineDataOptions, type PipelineDataOptionsInput } from './options.js';
import { isAutoStep } from './step-setting.js';

// Flat numeric view of the options: the hot path reads numbers and typed arrays, never strings.

export const AGG = { mean: 0, last: 1, sum: 2, min: 3, max: 4 } as const;
export const IMPUTE = { forward_fill: 0, linear: 1, seasonal: 2, mean: 3 } as const;
export const NORM = { zscore: 0, ewm_zscore: 1, minmax: 2, robust: 3, none: 4 } as const;
export const TRANSFORM = { none: 0, log: 1, log_return: 2 } as const;

export interface ResolvedOptions {
  readonly source: PipelineDataOptions;
  readonly fieldNames: readonly string[];
  readonly fieldCount: number;
  /** Data-field index of every target, in order. */
  readonly targets: Int32Array;
  readonly exogenous: Int32Array;
  readonly aggregation: Int32Array;
  readonly stepMs: number;
  readonly maxDelayMs: number;
  readonly allowedLatenessMs: number;
  readonly replaceDuplicates: boolean;
  readonly bufferCapacity: number;
  readonly imputeMethod: number;
  readonly maxGapSteps: number;
  readonly seasonSteps: number;
  readonly normMethod: number;
  /** ewm_zscore: weight of the newest observation, 1 - 2^(-1/half_life). */
  readonly ewmAlpha: number;
  readonly transform: number;
  readonly lags: Int32Array;
  readonly diffs: Int32Array;
  /** 0 when absent. */
  readonly seasonalDiff: number;
  readonly windows: Int32Array;
  readonly statMean: boolean;
  readonly statStd: boolean;
  readonly statMin: boolean;
  readonly statMax: boolean;
  readonly calendar: boolean;
  readonly timeSinceObservation: boolean;
  readonly imputedMask: boolean;
}

export function resolveOptions(input: PipelineDataOptions | PipelineDataOptionsInput): ResolvedOptions {
  const o = PipelineDataOptions.parse(input);
  // step_ms: auto is replaced by the data's spacing before a pipeline is built (runtime/infer-step.ts).
  if (isAutoStep(o)) throw new Error('step_ms is "auto": infer it from the data (inferStepMs) before building the stream pipeline');
  const idx = (role: string) => Int32Array.from(o.fields.flatMap((f, i) => (f.role === role ? [i] : [])));
  const f = o.features;
  const stats = new Set(f.rolling_stats);
  return {
    source: o,
    fieldNames: o.fields.map((x) => x.name),
    fieldCount: o.fields.length,
    targets: idx('target'),
    exogenous: idx('exogenous'),
    aggregation: Int32Array.from(o.fields.map((x) => AGG[x.aggregation])),
    stepMs: o.step_ms,
    maxDelayMs: o.ordering.max_delay_ms,
    allowedLatenessMs: o.ordering.allowed_lateness_ms,
    replaceDuplicates: o.ordering.duplicates === 'replace',
    bufferCapacity: o.ordering.max_buffered_events,
    imputeMethod: IMPUTE[o.impute.method],
    maxGapSteps: o.impute.max_gap_steps,
    seasonSteps: o.impute.season_steps,
    normMethod: NORM[o.normalise.method],
    ewmAlpha: 1 - 2 ** (-1 / o.normalise.half_life_steps),
    transform: TRANSFORM[o.normalise.transform],
    lags: Int32Array.from(f.lags),
    diffs: Int32Array.from(f.diffs),
    seasonalDiff: f.seasonal_diff_steps ?? 0,
    windows: Int32Array.from(f.rolling_windows),
    statMean: stats.has('mean'),
    statStd: stats.has('std'),
    statMin: stats.has('min'),
    statMax: stats.has('max'),
    calendar: f.calendar,
    timeSinceObservation: f.time_since_observation,
    imputedMask: f.imputed_mask,
  };
}

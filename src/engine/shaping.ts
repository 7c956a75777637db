import { dataPart, targetField, type PipelineSpec } from '../config/pipeline-schema.js';
import { systemClock } from '../core/clock.js';
import type { DeadLetter } from '../core/types.js';
import { noopLogger, noopMetrics, type ComponentMetrics } from '../operators/context.js';
import type { FeatureStep } from '../operators/feature-step.js';
import { TRANSFORM } from '../operators/resolved-options.js';
import { StreamProcessor } from '../operators/stream-processor.js';

// The pipeline's data shaping for the daemon: src/operators' StreamProcessor over the pipeline's data
// options, so every validated option (lags, windows, transforms, duplicates, ...) is applied. The
// model's inputs are the processor's feature vector `x`; it forecasts the first target field as
// changes of its level (the value, or its log under a log / log_return transform) in units of the
// processor's scale for the field, so an untrained (zero-head) model is a persistence forecast.

export interface Shaping {
  readonly processor: StreamProcessor;
  /** Model inputs per step. */
  readonly inputSize: number;
  /** Index of the forecast field among the data fields (FeatureStep.values/imputed). */
  readonly field: number;
  /** The transform applied to the field (TRANSFORM code). */
  readonly transform: number;
}

/**
 * Dead letters go to `deadLetter`; the processor's dead-letter metric is dropped (its caller counts
 * each dead letter once), its other counters go to `metrics`.
 */
export function shapingFor(
  spec: PipelineSpec,
  deadLetter: (d: DeadLetter<unknown>) => void,
  metrics: ComponentMetrics = noopMetrics,
): Shaping {
  const counted: ComponentMetrics = { ...metrics, error: () => {} };
  const processor = new StreamProcessor(dataPart(spec), { clock: systemClock, deadLetter, metrics: counted, log: noopLogger });
  const field = processor.options.fieldNames.indexOf(targetField(spec));
  const transform = processor.options.targets.includes(field) ? processor.options.transform : TRANSFORM.none;
  return { processor, inputSize: processor.schema.names.length, field, transform };
}

/** Where one step's level and normaliser are written (the engine's TickBuffer, fit-data's rows). */
export interface LevelColumns {
  readonly level: Float64Array;
  readonly centre: Float64Array;
  readonly scale: Float64Array;
}

/** Writes the step's level and the field's normaliser after it at index i; call inside `emit`. */
export function stepLevel(s: Shaping, step: FeatureStep, out: LevelColumns, i: number): void {
  const v = step.values === undefined ? NaN : step.values[s.field];
  out.level[i] = s.transform === TRANSFORM.none ? v : Math.log(v);
  const cs = s.processor.centreScale(step.key, s.field);
  out.centre[i] = cs === null ? 0 : cs.centre;
  out.scale[i] = cs === null ? 1 : cs.scale;
}

/** A level back to data units. */
export function fromLevel(transform: number, u: number): number {
  return transform === TRANSFORM.none ? u : Math.exp(u);
}

/** model.range in data units: min/max (±Infinity where open); bounded: either is finite. */
export interface LevelRange {
  readonly min: number;
  readonly max: number;
  readonly bounded: boolean;
}

export function levelRange(r: 'positive' | { min?: number; max?: number } | undefined): LevelRange {
  const min = r === undefined ? -Infinity : r === 'positive' ? 0 : (r.min ?? -Infinity);
  const max = r === undefined || r === 'positive' ? Infinity : (r.max ?? Infinity);
  return { min, max, bounded: min > -Infinity || max < Infinity };
}

/**
 * Keeps forecasts and bands inside the range (a series that is never negative gets no negative band).
 * Three fixed arrays rather than a rest parameter: it runs per forecast, and a rest array is an allocation.
 */
export function clampToRange(r: LevelRange, mean: Float64Array, lower: Float64Array, upper: Float64Array): void {
  clampArray(r, mean);
  clampArray(r, lower);
  clampArray(r, upper);
}

function clampArray(r: LevelRange, a: Float64Array): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < r.min) a[i] = r.min;
    else if (v > r.max) a[i] = r.max;
  }
}

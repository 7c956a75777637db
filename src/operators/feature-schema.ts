import type { ResolvedOptions } from './resolved-options.js';

// Names of the feature columns, in the order the feature vector holds them. Shared by reference:
// the model's input size is `names.length`.

export interface FeatureSchema {
  readonly names: readonly string[];
  /** Names of the target fields, in the order of FeatureStep.target. */
  readonly targets: readonly string[];
  /** Names of all data fields, in the order of FeatureStep.imputed. */
  readonly fields: readonly string[];
  readonly stepMs: number;
}

export function rollingStatNames(o: ResolvedOptions): string[] {
  const s: string[] = [];
  if (o.statMean) s.push('mean');
  if (o.statStd) s.push('std');
  if (o.statMin) s.push('min');
  if (o.statMax) s.push('max');
  return s;
}

export function featureSchema(o: ResolvedOptions): FeatureSchema {
  const names: string[] = [];
  const stats = rollingStatNames(o);
  for (const ti of o.targets) {
    const f = o.fieldNames[ti];
    names.push(f);
    for (const k of o.lags) names.push(`${f}_lag${k}`);
    for (const d of o.diffs) names.push(`${f}_diff${d}`);
    if (o.seasonalDiff > 0) names.push(`${f}_sdiff${o.seasonalDiff}`);
    for (const w of o.windows) for (const s of stats) names.push(`${f}_roll${w}_${s}`);
  }
  for (const ei of o.exogenous) names.push(o.fieldNames[ei]);
  if (o.imputedMask) for (const f of o.fieldNames) names.push(`${f}_imputed`);
  if (o.calendar) names.push('hour_sin', 'hour_cos', 'dow_sin', 'dow_cos');
  if (o.timeSinceObservation) names.push('steps_since_obs_log1p');
  return {
    names,
    targets: Array.from(o.targets, (i) => o.fieldNames[i]),
    fields: [...o.fieldNames],
    stepMs: o.stepMs,
  };
}

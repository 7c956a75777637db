import { STEP_FORECAST, STEP_IMPUTED, type ForecastSteps } from '../../engine/engine-forecast-steps.js';

// `tidecast replay --horizons all`: one row per forecast the engine serves, made at t for
// t + 1 .. t + H, in wide columns forecast_1..H, lower_1..H, upper_1..H (data units). Beside it the
// value at t (imputed or not) and t's anomaly score (the alert engine's score of t against what was
// forecast for it one step earlier; empty where it scored nothing).

/** Header of the wide layout for horizon H. */
export function wideHeader(horizon: number): string {
  const cols = (name: string) => Array.from({ length: horizon }, (_, h) => `${name}_${h + 1}`).join(',');
  return `timestamp,stream,actual,anomaly_score,imputed,${cols('forecast')},${cols('lower')},${cols('upper')}`;
}

/**
 * The wide row of step i of the alert stage's steps (read in its `scored` hook, after the step was
 * scored), or undefined for a step without a forecast. The score is the step's StepRow score.
 */
export function wideLine(s: ForecastSteps, i: number, csvCell: (s: string) => string): string | undefined {
  if ((s.flags[i] & STEP_FORECAST) === 0) return undefined;
  const score = s.score[i];
  const parts = [
    new Date(s.t[i]).toISOString(),
    csvCell(s.keys[i]),
    num(s.actual[i]),
    Number.isNaN(score) ? '' : String(score),
    (s.flags[i] & STEP_IMPUTED) !== 0 ? '1' : '0',
  ];
  const H = s.horizon;
  for (const a of [s.mean, s.lower, s.upper]) for (let h = 0; h < H; h++) parts.push(num(a[i * H + h]));
  return parts.join(',');
}

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

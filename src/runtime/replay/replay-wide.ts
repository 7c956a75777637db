import type { Forecast } from '../../core/types.js';
import type { StepRow } from '../../engine/engine-listener.js';

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
 * Pairs each forecast with its step's value and score. The engine reports one step as actual ->
 * step row -> alerts -> forecast, so the latest actual and row are the forecast's own when their
 * stream and time match.
 */
export class WideRows {
  private key = '';
  private t = NaN;
  private value = NaN;
  private imputed = false;
  private scoreKey = '';
  private scoreT = NaN;
  private score = NaN;

  actual(key: string, t: number, value: number, imputed: boolean): void {
    this.key = key;
    this.t = t;
    this.value = value;
    this.imputed = imputed;
  }

  row(r: StepRow): void {
    this.scoreKey = r.key;
    this.scoreT = r.t;
    this.score = r.score;
  }

  line(f: Forecast, csvCell: (s: string) => string): string {
    const own = f.key === this.key && f.t === this.t;
    const scored = f.key === this.scoreKey && f.t === this.scoreT && !Number.isNaN(this.score);
    const parts = [
      new Date(f.t).toISOString(),
      csvCell(f.key),
      own ? num(this.value) : '',
      scored ? String(this.score) : '',
      own && this.imputed ? '1' : '0',
    ];
    for (const a of [f.mean, f.lower, f.upper]) for (let h = 0; h < a.length; h++) parts.push(num(a[h]));
    return parts.join(',');
  }
}

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

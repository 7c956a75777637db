import type { FeatureOptions } from '../operators/options.js';

// The model's input row for one step: normalised target, then the optional inputs in a fixed order.
// Normalised values are clipped so one wild record cannot saturate a stream's hidden state.

const CLIP = 8;
const PERIOD_MS = { hour_of_day: 86_400_000, day_of_week: 7 * 86_400_000 } as const;
// 1970-01-01 was a Thursday: shift so that the weekly phase starts on Monday.
const WEEK_SHIFT_MS = 3 * 86_400_000;

export interface FeatureLayout {
  readonly delta: boolean;
  readonly imputed: boolean;
  readonly calendar: readonly ('hour_of_day' | 'day_of_week')[];
}

/** The subset of the stream pipeline's feature options this builder implements. */
export function featureLayoutFrom(f: FeatureOptions): FeatureLayout {
  return { delta: f.diffs.includes(1), imputed: f.imputed_mask, calendar: f.calendar ? ['hour_of_day', 'day_of_week'] : [] };
}

export function featureCount(f: FeatureLayout): number {
  return 1 + (f.delta ? 1 : 0) + (f.imputed ? 1 : 0) + 2 * f.calendar.length;
}

export function normalised(value: number, mean: number, std: number): number {
  const z = (value - mean) / std;
  return z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
}

/** Writes featureCount(f) inputs at `off`. */
export function writeFeatures(
  f: FeatureLayout, out: Float32Array, off: number,
  t: number, value: number, prev: number, imputed: boolean, mean: number, std: number,
): void {
  let i = off;
  out[i++] = normalised(value, mean, std);
  if (f.delta) {
    const d = (value - prev) / std;
    out[i++] = d > CLIP ? CLIP : d < -CLIP ? -CLIP : d;
  }
  if (f.imputed) out[i++] = imputed ? 1 : 0;
  for (const c of f.calendar) {
    const period = PERIOD_MS[c];
    const m = (((t + (c === 'day_of_week' ? WEEK_SHIFT_MS : 0)) % period) + period) % period;
    const phase = (2 * Math.PI * m) / period;
    out[i++] = Math.sin(phase);
    out[i++] = Math.cos(phase);
  }
}

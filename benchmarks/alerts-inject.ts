// Labelled anomalies injected into clean real streams, sized in units of the stream's own typical
// one-step change (the std of its first differences), so one setting fits °F, bpm and dollars.
import { gaussian } from './alerts-random.js';

export const KINDS = ['spike', 'level_shift', 'variance', 'stuck', 'drift'] as const;
export type AnomalyKind = (typeof KINDS)[number];

export interface AnomalyWindow {
  readonly kind: AnomalyKind;
  /** First and last anomalous step (inclusive). */
  readonly start: number;
  readonly end: number;
}

export interface InjectOptions {
  /** No anomaly before this step (warm-up of every detector). */
  readonly from: number;
  /** Steps between windows: uniform in [minGap, maxGap]. */
  readonly minGap: number;
  readonly maxGap: number;
  /** Window length for the kinds that last (spike: 1; drift: twice this). */
  readonly length: number;
}

export function diffScale(values: Float64Array, imputed: Uint8Array): number {
  let n = 0,
    s = 0,
    s2 = 0;
  for (let i = 1; i < values.length; i++) {
    if (imputed[i] || imputed[i - 1]) continue;
    const d = values[i] - values[i - 1];
    n++;
    s += d;
    s2 += d * d;
  }
  return n > 1 ? Math.sqrt(Math.max(1e-12, s2 / n - (s / n) ** 2)) : 1;
}

/** Returns a copy of values with anomalies of one kind, and their windows. */
export function inject(
  values: Float64Array,
  imputed: Uint8Array,
  kind: AnomalyKind,
  o: InjectOptions,
  random: () => number,
): { values: Float64Array; windows: AnomalyWindow[] } {
  const out = values.slice();
  const sd = diffScale(values, imputed);
  const normal = gaussian(random);
  const windows: AnomalyWindow[] = [];
  const len = kind === 'spike' ? 1 : kind === 'drift' ? 2 * o.length : o.length;
  const uniform = (a: number, b: number) => a + (b - a) * random();
  let start = o.from + Math.floor(uniform(0, o.minGap));
  while (start + len + o.minGap < values.length) {
    const sign = random() < 0.5 ? -1 : 1;
    const end = start + len - 1;
    const shift = sign * uniform(4, 6) * sd;
    const noise = uniform(3, 4) * sd;
    const ramp = sign * uniform(10, 15) * sd;
    for (let i = start; i <= end; i++) {
      if (kind === 'spike') out[i] += sign * uniform(6, 9) * sd;
      else if (kind === 'level_shift') out[i] += shift;
      else if (kind === 'variance') out[i] += noise * normal();
      else if (kind === 'stuck') out[i] = out[start - 1];
      else out[i] += (ramp * (i - start + 1)) / len;
    }
    windows.push({ kind, start, end });
    start = end + 1 + Math.floor(uniform(o.minGap, o.maxGap));
  }
  return { values: out, windows };
}

import type { Forecast } from '../../src/core/types.js';

// Forecasts packed for the producer thread as numbers (one transferable Float64Array) and strings
// (stream keys, pipeline names and model versions, each distinct string once), so that turning them into
// JSON records (number formatting is most of that cost) happens on the producer thread, with the same
// forecastRecord code and bytes as in the calling thread.

/** Per forecast: key, pipeline and model version as indexes into `strings`. */
const STRING_INTS = 3;

export interface PackedForecasts {
  readonly topic: string;
  readonly count: number;
  readonly strings: readonly string[];
  readonly stringIndex: Int32Array;
  /** Per forecast: t, stepMs, H, then mean, lower, upper (H each). */
  readonly numbers: Float64Array;
}

export function packForecasts(topic: string, forecasts: readonly Forecast[]): PackedForecasts {
  let width = 0;
  for (const f of forecasts) width += 3 + 3 * f.mean.length;
  const numbers = new Float64Array(width);
  const stringIndex = new Int32Array(forecasts.length * STRING_INTS);
  const strings: string[] = [];
  const seen = new Map<string, number>();
  const intern = (s: string) => {
    let i = seen.get(s);
    if (i === undefined) seen.set(s, (i = strings.push(s) - 1));
    return i;
  };
  // Pipeline and model version repeat from one forecast to the next: compared with the last one first.
  let pipeline = '';
  let pipelineAt = -1;
  let version = '';
  let versionAt = -1;
  let at = 0;
  for (let i = 0; i < forecasts.length; i++) {
    const f = forecasts[i];
    stringIndex[i * STRING_INTS] = intern(f.key);
    if (pipelineAt < 0 || f.pipeline !== pipeline) pipelineAt = intern((pipeline = f.pipeline));
    if (versionAt < 0 || f.modelVersion !== version) versionAt = intern((version = f.modelVersion));
    stringIndex[i * STRING_INTS + 1] = pipelineAt;
    stringIndex[i * STRING_INTS + 2] = versionAt;
    const h = f.mean.length;
    numbers[at] = f.t;
    numbers[at + 1] = f.stepMs;
    numbers[at + 2] = h;
    // Plain loops: set() costs more than it copies at these lengths (usually 1 to a few dozen).
    for (let j = 0; j < h; j++) numbers[at + 3 + j] = f.mean[j];
    for (let j = 0; j < h; j++) numbers[at + 3 + h + j] = f.lower[j];
    for (let j = 0; j < h; j++) numbers[at + 3 + 2 * h + j] = f.upper[j];
    at += 3 + 3 * h;
  }
  return { topic, count: forecasts.length, strings, stringIndex, numbers };
}

export function forecastTransferables(p: PackedForecasts): ArrayBuffer[] {
  return [p.stringIndex.buffer as ArrayBuffer, p.numbers.buffer as ArrayBuffer];
}

/** The forecasts again; their mean, lower and upper are views into the packed numbers. */
export function unpackForecasts(p: PackedForecasts): Forecast[] {
  const out: Forecast[] = new Array(p.count);
  const n = p.numbers;
  let at = 0;
  for (let i = 0; i < p.count; i++) {
    const h = n[at + 2];
    out[i] = {
      key: p.strings[p.stringIndex[i * STRING_INTS]],
      pipeline: p.strings[p.stringIndex[i * STRING_INTS + 1]],
      modelVersion: p.strings[p.stringIndex[i * STRING_INTS + 2]],
      t: n[at],
      stepMs: n[at + 1],
      mean: n.subarray(at + 3, at + 3 + h),
      lower: n.subarray(at + 3 + h, at + 3 + 2 * h),
      upper: n.subarray(at + 3 + 2 * h, at + 3 + 3 * h),
    };
    at += 3 + 3 * h;
  }
  return out;
}

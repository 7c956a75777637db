import type { FileSourceConfig } from '../../connectors/file/config.js';
import { FileSource } from '../../connectors/file/file-source.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { isAutoStep } from '../operators/step-setting.js';

// `step_ms: auto`: the grid step is the data's own spacing, the median positive difference of
// consecutive timestamps over the first records of every stream (pooled), refined to the median of
// the differences near it. Medians ignore the long differences of gaps and missing records and the
// jitter of irregular stamps; the result is then snapped to a
// round duration (1 s, 5 min, 1 h, 1 d, ...) when it lies within 10 % of one.

/** Records per stream looked at. */
export const STEP_SAMPLE_PER_STREAM = 500;
/** Stop reading after this many records even if some streams have fewer. */
const MAX_SAMPLE_RECORDS = 200_000;

const ROUND_STEPS_MS = [
  1, 10, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_200_000,
  1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
];

/** Median positive spacing of the given per-stream event times (each in file order); NaN when none. */
export function medianSpacing(timesByStream: Iterable<readonly number[]>): number {
  const diffs: number[] = [];
  for (const times of timesByStream) {
    const sorted = [...times].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1]) diffs.push(sorted[i] - sorted[i - 1]);
  }
  if (diffs.length === 0) return NaN;
  diffs.sort((a, b) => a - b);
  // Missing records make differences of 2, 3, ... steps that pull the plain median up; the median
  // of the differences within half a median of it is the step itself.
  const m = median(diffs);
  return median(diffs.filter((d) => d >= 0.5 * m && d <= 1.5 * m));
}

/** Median of sorted numbers. */
function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A spacing snapped to the nearest round step within 10 %, else rounded to whole seconds (ms below 1 s). */
export function roundStep(spacingMs: number): number {
  if (!(spacingMs > 0)) return NaN;
  let best = NaN;
  for (const r of ROUND_STEPS_MS) {
    if (Math.abs(spacingMs - r) <= 0.1 * r && !(Math.abs(spacingMs - r) >= Math.abs(spacingMs - best))) best = r;
  }
  if (Number.isFinite(best)) return best;
  return spacingMs >= 1_000 ? Math.round(spacingMs / 1_000) * 1_000 : Math.max(1, Math.round(spacingMs));
}

/** Event times of the first records per stream of a file (its source's columns). */
export async function sampleTimes(cfg: FileSourceConfig, perStream = STEP_SAMPLE_PER_STREAM): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>();
  const source = new FileSource(cfg, { name: 'infer-step', paced: false });
  let read = 0;
  let full = 0;
  for await (const b of source.batches(new AbortController().signal)) {
    for (const o of b.observations) {
      let ts = times.get(o.key);
      if (ts === undefined) times.set(o.key, (ts = []));
      if (ts.length < perStream && ts.push(o.eventTime) === perStream) full++;
    }
    read += b.observations.length;
    if (read >= MAX_SAMPLE_RECORDS || (full === times.size && read >= perStream * times.size)) break;
  }
  return times;
}

/** The data's spacing of a file, unrounded (NaN when it has no two distinct times in a stream). */
export async function fileSpacingMs(cfg: FileSourceConfig): Promise<number> {
  return medianSpacing((await sampleTimes(cfg)).values());
}

/** The inferred step of a file: its spacing, rounded (see roundStep); NaN when it cannot tell. */
export async function inferStepMs(cfg: FileSourceConfig): Promise<number> {
  return roundStep(await fileSpacingMs(cfg));
}

/**
 * The spec with `step_ms: auto` replaced by the step inferred from the first of `files` that tells
 * one; the spec itself when its step is set. Throws when it is auto and no file tells a step.
 */
export async function resolveAutoStep(spec: PipelineSpec, files: readonly FileSourceConfig[]): Promise<PipelineSpec> {
  if (!isAutoStep(spec)) return spec;
  for (const f of files) {
    const step = await inferStepMs(f);
    if (step > 0) return { ...spec, step_ms: step };
  }
  throw new Error(
    files.length === 0
      ? `pipeline "${spec.name}": step_ms is "auto" but it has no file source to infer it from (set step_ms, or use \`tidecast replay --input\`)`
      : `pipeline "${spec.name}": step_ms is "auto" but ${files.map((f) => f.path).join(', ')} has no stream with two distinct times`,
  );
}

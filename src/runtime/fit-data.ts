import type { FileSourceConfig } from '../../connectors/file/config.js';
import { FileSource } from '../../connectors/file/file-source.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { FeatureStep } from '../operators/feature-step.js';
import { normalised } from '../engine/features.js';
import { shapingFor, stepLevel } from '../engine/shaping.js';

// Training windows from the start of the data, built with the engine's own shaping (the stream
// pipeline) so that what the model learns is exactly what it sees live. Targets are the engine's
// (and the retraining replay buffer's): per horizon h, the level h steps ahead minus the level now,
// both normalised (clipped) with the field's normaliser after the forecast step (see shaping.ts).
export interface FitData {
  readonly steps: number;
  readonly batch: number;
  /** steps × batch × inputSize */
  readonly inputs: Float32Array;
  /** steps × batch × horizon; NaN where there is no target (imputed, past a break, padding) */
  readonly targets: Float32Array;
  readonly streams: readonly string[];
  readonly rows: number;
}

interface Series {
  x: number[];
  level: number[];
  centre: number[];
  scale: number[];
  skip: boolean[];
  reset: boolean[];
}

/** Reads the first `steps` grid steps of up to `maxStreams` streams (the first seen) from the files. */
export async function collectFitData(
  spec: PipelineSpec,
  files: readonly FileSourceConfig[],
  steps: number,
  maxStreams: number,
  onRows?: (rows: number) => void,
  signal: AbortSignal = new AbortController().signal,
): Promise<FitData> {
  // Bad records are the live run's to dead-letter and count; here they are only left out.
  const shaping = shapingFor(spec, () => {});
  const { processor, inputSize: inSize, field } = shaping;
  const series = new Map<string, Series>();
  const one = { level: new Float64Array(1), centre: new Float64Array(1), scale: new Float64Array(1) };
  const onStep = (step: FeatureStep) => {
    const s = series.get(step.key);
    if (s === undefined || s.level.length >= steps) return;
    for (let i = 0; i < inSize; i++) s.x.push(step.x[i]);
    stepLevel(shaping, step, one, 0);
    s.level.push(one.level[0]);
    s.centre.push(one.centre[0]);
    s.scale.push(one.scale[0]);
    s.skip.push(step.imputed[field] === 1);
    s.reset.push(step.broken || s.level.length === 1);
  };
  let rows = 0;
  const full = () => series.size >= maxStreams && [...series.values()].every((s) => s.level.length >= steps);
  for (const [i, cfg] of files.entries()) {
    const source = new FileSource(cfg, { name: `fit-${i}`, paced: false });
    for await (const b of source.batches(signal)) {
      for (const o of b.observations) {
        if (!series.has(o.key)) {
          if (series.size >= maxStreams) continue;
          series.set(o.key, { x: [], level: [], centre: [], scale: [], skip: [], reset: [] });
        }
        processor.push(o, onStep);
      }
      rows = b.position;
      onRows?.(rows);
      if (full()) break;
    }
    if (full()) break;
  }
  processor.flush(onStep);
  const used = [...series.entries()].filter(([, s]) => s.level.length > 0);
  return pack(
    spec.model.horizon,
    inSize,
    used.map(([, s]) => s),
    used.map(([k]) => k),
    rows,
    steps,
  );
}

function pack(H: number, inSize: number, all: Series[], streams: string[], rows: number, maxSteps: number): FitData {
  const B = Math.max(1, all.length);
  const N = Math.min(maxSteps, Math.max(1, ...all.map((s) => s.level.length)));
  const inputs = new Float32Array(N * B * inSize);
  const targets = new Float32Array(N * B * H).fill(NaN);
  all.forEach((s, b) => {
    const n = Math.min(N, s.level.length);
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < inSize; i++) inputs[(t * B + b) * inSize + i] = s.x[t * inSize + i];
      const now = normalised(s.level[t], s.centre[t], s.scale[t]);
      for (let h = 1; h <= H && t + h < n; h++) {
        if (s.reset[t + h] || s.skip[t + h]) break;
        targets[(t * B + b) * H + h - 1] = normalised(s.level[t + h], s.centre[t], s.scale[t]) - now;
      }
    }
  });
  return { steps: N, batch: B, inputs, targets, streams, rows };
}

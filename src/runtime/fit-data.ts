import type { FileSourceConfig } from '../../connectors/file/config.js';
import { FileSource } from '../../connectors/file/file-source.js';
import { dataPart, targetField, type PipelineSpec } from '../config/pipeline-schema.js';
import { featureCount, featureLayoutFrom, normalised, writeFeatures } from './features.js';
import { prepOptionsFrom, StreamPrep } from './stream-prep.js';

// Training windows from the start of the data, built with the engine's own shaping and features so
// that what the model learns is exactly what it sees live. Targets are the engine's: per horizon h,
// the normalised value h steps ahead (scaled at the forecast step) minus the current one.

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

interface Series { x: number[]; z: number[]; v: number[]; m: number[]; s: number[]; imputed: boolean[]; reset: boolean[] }

/** Reads up to `steps` grid steps of up to `maxStreams` streams from the files. */
export async function collectFitData(
  spec: PipelineSpec, files: readonly FileSourceConfig[], steps: number, maxStreams: number,
  onRows?: (rows: number) => void, signal: AbortSignal = new AbortController().signal,
): Promise<FitData> {
  const layout = featureLayoutFrom(spec.features);
  const inSize = featureCount(layout);
  const series = new Map<number, Series>();
  const keys: string[] = [];
  const slots = new Map<string, number>();
  const row = new Float32Array(inSize);
  const prep = new StreamPrep(prepOptionsFrom(dataPart(spec), targetField(spec)), (slot, t, v, prev, imputed, reset, mean, std) => {
    const s = series.get(slot) as Series;
    if (s.z.length >= steps) return;
    writeFeatures(layout, row, 0, t, v, prev, imputed, mean, std);
    for (let i = 0; i < inSize; i++) s.x.push(row[i]);
    s.z.push(normalised(v, mean, std));
    s.v.push(v);
    s.m.push(mean);
    s.s.push(std);
    s.imputed.push(imputed);
    s.reset.push(reset);
  });
  const target = targetField(spec);
  let rows = 0;
  const full = () => series.size >= maxStreams && [...series.values()].every((s) => s.z.length >= steps);
  for (const [i, cfg] of files.entries()) {
    const source = new FileSource(cfg, { name: `fit-${i}`, paced: false });
    for await (const b of source.batches(signal)) {
      for (const o of b.observations) {
        const v = o.fields[target];
        if (v === undefined || !Number.isFinite(v) || !Number.isFinite(o.eventTime)) continue;
        let slot = slots.get(o.key);
        if (slot === undefined) {
          if (slots.size >= maxStreams) continue;
          slot = slots.size;
          slots.set(o.key, slot);
          keys.push(o.key);
          prep.ensure(slot);
          series.set(slot, { x: [], z: [], v: [], m: [], s: [], imputed: [], reset: [] });
        }
        prep.push(slot, o.eventTime, v);
      }
      rows = b.position;
      onRows?.(rows);
      if (full()) break;
    }
    if (full()) break;
  }
  return pack(spec.model.horizon, inSize, [...series.values()], keys, rows, steps);
}

function pack(H: number, inSize: number, all: Series[], streams: string[], rows: number, maxSteps: number): FitData {
  const B = Math.max(1, all.length);
  const N = Math.min(maxSteps, Math.max(1, ...all.map((s) => s.z.length)));
  const inputs = new Float32Array(N * B * inSize);
  const targets = new Float32Array(N * B * H).fill(NaN);
  all.forEach((s, b) => {
    const n = Math.min(N, s.z.length);
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < inSize; i++) inputs[(t * B + b) * inSize + i] = s.x[t * inSize + i];
      for (let h = 1; h <= H && t + h < n; h++) {
        if (s.reset[t + h] || s.imputed[t + h]) break;
        const zAhead = normalised(s.v[t + h], s.m[t], s.s[t]);
        targets[(t * B + b) * H + h - 1] = zAhead - s.z[t];
      }
    }
  });
  return { steps: N, batch: B, inputs, targets, streams, rows };
}

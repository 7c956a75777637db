import { bytesFromBase64, toBase64 } from '../core/base64.js';
import type { ModelConfig } from '../models/stacked-model.js';
import type { TrainJobRequest, TrainSettings } from './train-job.js';

// A training request as JSON for the checkpoint: typed arrays as base64 (little-endian), and the
// deterministic mode's unbounded time budget (Infinity, which JSON cannot hold) as null.

export interface JobSnapshot {
  readonly jobId: string;
  readonly config: ModelConfig;
  readonly settings: Omit<TrainSettings, 'maxTimeMs'> & { readonly maxTimeMs: number | null };
  readonly seed: number;
  readonly steps: number;
  readonly batch: number;
  readonly champion: string;
  readonly inputs: string;
  readonly targets: string;
  readonly rewarm?: { readonly streams: number; readonly rows: number; readonly inputs: string; readonly steps: string };
}

export function jobSnapshot(req: TrainJobRequest): JobSnapshot {
  const s = req.settings;
  return {
    jobId: req.jobId,
    config: req.config,
    seed: req.seed,
    steps: req.steps,
    batch: req.batch,
    settings: { ...s, maxTimeMs: Number.isFinite(s.maxTimeMs) ? s.maxTimeMs : null },
    champion: toBase64(req.champion),
    inputs: toBase64(req.inputs),
    targets: toBase64(req.targets),
    rewarm: req.rewarm && {
      streams: req.rewarm.streams,
      rows: req.rewarm.rows,
      inputs: toBase64(req.rewarm.inputs),
      steps: toBase64(req.rewarm.steps),
    },
  };
}

export function jobFromSnapshot(s: JobSnapshot): TrainJobRequest {
  const f32 = (b64: string) => new Float32Array(bytesFromBase64(b64).buffer);
  return {
    jobId: s.jobId,
    config: s.config,
    seed: s.seed,
    steps: s.steps,
    batch: s.batch,
    settings: { ...s.settings, maxTimeMs: s.settings.maxTimeMs ?? Infinity },
    champion: f32(s.champion),
    inputs: f32(s.inputs),
    targets: f32(s.targets),
    rewarm: s.rewarm && {
      streams: s.rewarm.streams,
      rows: s.rewarm.rows,
      inputs: f32(s.rewarm.inputs),
      steps: new Int32Array(bytesFromBase64(s.rewarm.steps).buffer),
    },
  };
}

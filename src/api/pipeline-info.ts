import type { FiringCounts } from './firing-tally.js';

// What GET /api/pipelines shows about each running pipeline; the runtime fills it from the pipeline file.

export interface PipelineInfo {
  readonly name: string;
  /** The pipeline file it came from, if any. */
  readonly file?: string;
  readonly modelVersion: string;
  readonly model?: { readonly cell: string; readonly layers: number; readonly units: number; readonly horizon: number };
  readonly stepMs?: number;
  readonly sources?: readonly string[];
  readonly sinks?: readonly string[];
  /** Epoch ms the pipeline started. */
  readonly startedAt?: number;
}

export interface ModelVersionRecord {
  readonly version: string;
  /** Epoch ms the version went live. */
  readonly since: number;
  /** Why: initial, restored, trained (swap), offline. */
  readonly reason: string;
  readonly validationLoss?: number;
}

export type PipelineStatus = 'starting' | 'restoring' | 'running' | 'degraded' | 'stopping' | 'stopped';

export interface PipelineSummary extends PipelineInfo {
  readonly status: PipelineStatus;
  readonly streams: number;
  /** Versions that went live, oldest first (the last is current). */
  readonly modelVersions: readonly ModelVersionRecord[];
  /** Alerts firing now in this pipeline (the dashboard's badge), kept by the store as events arrive. */
  readonly alerts_firing: FiringCounts;
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TidecastError } from '../core/errors.js';
import { dataPart, type PipelineSpec } from '../config/pipeline-schema.js';
import { atomicWrite } from './atomic-write.js';
import type { SerializedWeights } from '../engine/model-runner.js';
import type { EngineSnapshot } from '../engine/pipeline-engine.js';

// One pipeline's checkpoint: source positions, model weights and every stream's recurrent and
// pipeline state, written atomically to <state.dir>/checkpoint.json. Numbers are written as JSON
// numbers (exact for float64) and float32 arrays as base64 bytes, so a restore is bit-exact.

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly version: number;
  readonly pipeline: string;
  /** Hash of the sections that shape state (data options and model); a mismatch refuses the restore. */
  readonly fingerprint: string;
  readonly writtenAt: string;
  readonly sources: Readonly<Record<string, number>>;
  readonly model: SerializedWeights;
  readonly engine: EngineSnapshot;
  /** The offline fit's window (steps per stream left unscored), so that a restart keeps it. */
  readonly fitWindow?: FitWindow;
  /** Event-time retraining's state (OnlineLearner.snapshot), so that a restart swaps where an uninterrupted run would. */
  readonly retraining?: unknown;
}

export interface FitWindow {
  readonly steps: number;
  readonly streams: readonly string[];
}

export function checkpointPath(spec: PipelineSpec): string {
  return join(spec.state.dir, 'checkpoint.json');
}

export function fingerprint(spec: PipelineSpec): string {
  const shape = { data: dataPart(spec), model: { ...spec.model, path: undefined } };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

export async function writeCheckpoint(spec: PipelineSpec, cp: Omit<Checkpoint, 'version' | 'pipeline' | 'fingerprint' | 'writtenAt'>, now: Date): Promise<void> {
  const full: Checkpoint = { version: CHECKPOINT_VERSION, pipeline: spec.name, fingerprint: fingerprint(spec), writtenAt: now.toISOString(), ...cp };
  await atomicWrite(checkpointPath(spec), JSON.stringify(full));
}

/** The pipeline's checkpoint, or undefined when there is none yet. */
export async function readCheckpoint(spec: PipelineSpec): Promise<Checkpoint | undefined> {
  const path = checkpointPath(spec);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let cp: Checkpoint;
  try {
    cp = JSON.parse(text) as Checkpoint;
  } catch (err) {
    throw new TidecastError(`Checkpoint ${path} is not valid JSON.`, 'state_corrupt', false, { cause: err });
  }
  if (cp.version !== CHECKPOINT_VERSION || cp.pipeline !== spec.name) {
    throw new TidecastError(`Checkpoint ${path} is version ${cp.version} of pipeline "${cp.pipeline}", expected version ${CHECKPOINT_VERSION} of "${spec.name}".`, 'state_corrupt', false);
  }
  if (cp.fingerprint !== fingerprint(spec)) {
    throw new TidecastError(
      `Checkpoint ${path} was written with different data or model settings; move the directory away to start fresh.`,
      'state_corrupt', false,
    );
  }
  return cp;
}

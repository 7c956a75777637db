import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TidecastError } from '../core/errors.js';
import { dataPart, type PipelineSpec } from '../config/pipeline-schema.js';
import type { SerializedWeights } from '../engine/model-runner.js';
import type { EngineSnapshot } from '../engine/pipeline-engine.js';
import type { StreamRecordLayout } from '../engine/engine-stream-records.js';
import type { OnlineHeadSnapshot } from '../forecasting/online-head.js';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import type { RecordChunk } from './record-chunks.js';

// One pipeline's checkpoint in <state.dir>: a full base (checkpoint.bin) and deltas
// (checkpoint.delta-NNNNNN.bin) holding only the streams changed since the checkpoint before; each
// file is binary (checkpoint-file.ts: meta + per-stream records + checksum) and written atomically.
// Every few deltas, or when they add up to the base's size, the next checkpoint is a new base and the
// deltas go. A restore reads the base and its deltas (a stream's newest record wins) and the newest
// file's meta (positions, weights). A version-1 JSON checkpoint (checkpoint.json) is still restored
// once: the next checkpoint is a binary base, and the JSON file is removed after it.

export const CHECKPOINT_VERSION = 2;
const LEGACY_VERSION = 1;
const BASE = 'checkpoint.bin';
const DELTA = /^checkpoint\.delta-(\d{6,})\.bin$/;
/** Deltas after which the next checkpoint is a full base. */
const COMPACT_EVERY = 32;

/** Everything of a checkpoint besides the streams' records. */
export interface CheckpointState {
  readonly sources: Readonly<Record<string, number>>;
  readonly model: SerializedWeights;
  /** The offline fit's window (steps per stream left unscored), so that a restart keeps it. */
  readonly fitWindow?: FitWindow;
  /** Event-time retraining's state (OnlineLearner.snapshot), so that a restart swaps where an uninterrupted run would. */
  readonly retraining?: unknown;
  /** model.online_head's state (absent without a head). */
  readonly head?: OnlineHeadSnapshot;
  /** What the records mean (absent in a migrated version-1 checkpoint, whose streams come as JSON). */
  readonly layout?: StreamRecordLayout;
}

export interface CheckpointMeta extends CheckpointState {
  readonly version: number;
  readonly pipeline: string;
  /** Hash of the sections that shape state (data options and model); a mismatch refuses the restore. */
  readonly fingerprint: string;
  readonly writtenAt: string;
  readonly kind: 'base' | 'delta';
  /** The base this file belongs to (deltas of another base are stale and ignored). */
  readonly generation: string;
  /** 0 for the base, 1, 2, ... for its deltas. */
  readonly seq: number;
  /** Stream records in this file. */
  readonly streams: number;
}

export interface FitWindow {
  readonly steps: number;
  readonly streams: readonly string[];
}

export interface RestoredCheckpoint {
  /** The newest file's meta: positions, weights and the rest as of the last checkpoint. */
  readonly meta: CheckpointState & { readonly writtenAt: string };
  /** Stream records per file, newest file first (a stream's first record found is its newest). */
  readonly newestFirst: readonly (readonly RecordChunk[])[];
  /** Streams of a version-1 JSON checkpoint (migration). */
  readonly legacy?: EngineSnapshot;
  readonly generation?: string;
  readonly seq: number;
  readonly baseBytes: number;
  readonly deltaBytes: number;
}

/** The base file's path. */
export function checkpointPath(spec: PipelineSpec): string {
  return join(spec.state.dir, BASE);
}

export function deltaPath(spec: PipelineSpec, seq: number): string {
  return join(spec.state.dir, `checkpoint.delta-${String(seq).padStart(6, '0')}.bin`);
}

/** Where version 1 kept its JSON checkpoint. */
export function legacyCheckpointPath(spec: PipelineSpec): string {
  return join(spec.state.dir, 'checkpoint.json');
}

export function fingerprint(spec: PipelineSpec): string {
  const shape = { data: dataPart(spec), model: { ...spec.model, path: undefined } };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/** The pipeline's checkpoint, or undefined when there is none yet. Corrupt or foreign files throw state_corrupt. */
export async function readCheckpoint(spec: PipelineSpec): Promise<RestoredCheckpoint | undefined> {
  const path = checkpointPath(spec);
  const base = await readCheckpointFile<CheckpointMeta>(path);
  if (base === undefined) return readLegacy(spec);
  check(spec, path, base.meta);
  const deltas: { seq: number; meta: CheckpointMeta; chunks: readonly RecordChunk[]; bytes: number }[] = [];
  for (const name of await deltaNames(spec)) {
    const file = join(spec.state.dir, name);
    const d = await readCheckpointFile<CheckpointMeta>(file);
    if (d === undefined) continue;
    check(spec, file, d.meta);
    if (d.meta.generation !== base.meta.generation) continue; // left over from an older base
    deltas.push({ seq: d.meta.seq, meta: d.meta, chunks: d.chunks, bytes: d.chunks.reduce((n, c) => n + c.bytes.byteLength, 0) });
  }
  deltas.sort((a, b) => a.seq - b.seq);
  deltas.forEach((d, i) => {
    if (d.seq !== i + 1)
      throw new TidecastError(
        `Checkpoint delta ${i + 1} of ${path} is missing (found ${d.seq}); the state cannot be restored in order.`,
        'state_corrupt',
        false,
      );
  });
  const newest = deltas.length > 0 ? deltas[deltas.length - 1].meta : base.meta;
  return {
    meta: newest,
    newestFirst: [...deltas.map((d) => d.chunks).reverse(), base.chunks],
    generation: base.meta.generation,
    seq: deltas.length,
    baseBytes: base.chunks.reduce((n, c) => n + c.bytes.byteLength, 0),
    deltaBytes: deltas.reduce((n, d) => n + d.bytes, 0),
  };
}

/**
 * Writes a pipeline's checkpoints: plan() says whether the next one is a full base or a delta, the
 * caller captures the streams accordingly, write() puts them on disk. A failed write makes the next
 * one a base (the failed delta's changes are in no file).
 */
export class CheckpointWriter {
  private generation: string | undefined;
  private seq = 0;
  private baseBytes = 0;
  private deltaBytes = 0;
  private needBase = true;
  private legacy = false;

  constructor(
    readonly spec: PipelineSpec,
    private readonly compactEvery = COMPACT_EVERY,
  ) {}

  /** Continues the restored chain (a migrated JSON checkpoint: the next write is a base, then the JSON goes). */
  continueFrom(r: RestoredCheckpoint): void {
    this.legacy = r.legacy !== undefined;
    this.generation = r.generation;
    this.seq = r.seq;
    this.baseBytes = r.baseBytes;
    this.deltaBytes = r.deltaBytes;
    this.needBase = r.generation === undefined;
  }

  /** 'base' or 'delta' for the next write, given how many of how many streams changed. */
  plan(changed: number, total: number): 'base' | 'delta' {
    const compact = this.seq >= this.compactEvery || this.deltaBytes >= this.baseBytes || 2 * changed >= total;
    return this.needBase || this.generation === undefined || compact ? 'base' : 'delta';
  }

  /** Writes the captured streams as planned; returns the file's size in bytes. */
  async write(kind: 'base' | 'delta', state: CheckpointState, chunks: readonly RecordChunk[], now: Date): Promise<number> {
    const streams = chunks.reduce((n, c) => n + c.records, 0);
    const records = chunks.reduce((n, c) => n + c.bytes.byteLength, 0);
    const common = {
      version: CHECKPOINT_VERSION,
      pipeline: this.spec.name,
      fingerprint: fingerprint(this.spec),
      writtenAt: now.toISOString(),
      streams,
      ...state,
    };
    try {
      if (kind === 'base') {
        const generation = `${now.getTime().toString(36)}-${randomBytes(4).toString('hex')}`;
        const meta: CheckpointMeta = { ...common, kind, generation, seq: 0 };
        const size = await writeCheckpointFile(checkpointPath(this.spec), meta, chunks);
        Object.assign(this, { generation, seq: 0, baseBytes: records, deltaBytes: 0, needBase: false });
        // The deltas of the old base are stale now; a crash before they go leaves them ignored.
        for (const name of await deltaNames(this.spec)) await rm(join(this.spec.state.dir, name), { force: true });
        if (this.legacy) await rm(legacyCheckpointPath(this.spec), { force: true });
        this.legacy = false;
        return size;
      }
      const seq = this.seq + 1;
      const meta: CheckpointMeta = { ...common, kind, generation: this.generation as string, seq };
      const size = await writeCheckpointFile(deltaPath(this.spec, seq), meta, chunks);
      this.seq = seq;
      this.deltaBytes += records;
      return size;
    } catch (err) {
      this.needBase = true;
      throw err;
    }
  }
}

async function deltaNames(spec: PipelineSpec): Promise<string[]> {
  try {
    return (await readdir(spec.state.dir)).filter((n) => DELTA.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function check(spec: PipelineSpec, path: string, meta: CheckpointMeta): void {
  if (meta.version !== CHECKPOINT_VERSION || meta.pipeline !== spec.name) {
    throw new TidecastError(
      `Checkpoint ${path} is version ${meta.version} of pipeline "${meta.pipeline}", expected version ${CHECKPOINT_VERSION} of "${spec.name}".`,
      'state_corrupt',
      false,
    );
  }
  if (meta.fingerprint !== fingerprint(spec)) {
    throw new TidecastError(
      `Checkpoint ${path} was written with different data or model settings; move the directory away to start fresh.`,
      'state_corrupt',
      false,
    );
  }
}

interface LegacyCheckpoint {
  readonly version: number;
  readonly pipeline: string;
  readonly fingerprint: string;
  readonly writtenAt: string;
  readonly sources: Readonly<Record<string, number>>;
  readonly model: SerializedWeights;
  readonly engine: EngineSnapshot;
  readonly fitWindow?: FitWindow;
  readonly retraining?: unknown;
}

/** A version-1 JSON checkpoint, restored once (migration). */
async function readLegacy(spec: PipelineSpec): Promise<RestoredCheckpoint | undefined> {
  const path = legacyCheckpointPath(spec);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let cp: LegacyCheckpoint;
  try {
    cp = JSON.parse(text) as LegacyCheckpoint;
  } catch (err) {
    throw new TidecastError(`Checkpoint ${path} is not valid JSON.`, 'state_corrupt', false, { cause: err });
  }
  check(spec, path, { ...cp, version: cp.version === LEGACY_VERSION ? CHECKPOINT_VERSION : cp.version } as unknown as CheckpointMeta);
  const { sources, model, fitWindow, retraining, writtenAt } = cp;
  return {
    meta: { sources, model, writtenAt, ...(fitWindow && { fitWindow }), ...(retraining !== undefined && { retraining }) },
    newestFirst: [],
    legacy: cp.engine,
    seq: 0,
    baseBytes: 0,
    deltaBytes: 0,
  };
}

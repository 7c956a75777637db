import type { PipelineSpec } from '../config/pipeline-schema.js';
import { statesLiveInKafka } from '../../connectors/kafka/adapter.js';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import { CheckpointWriter, readCheckpoint, type CheckpointState, type FitWindow } from '../state/checkpoint.js';
import type { RecordChunk } from '../state/record-chunks.js';
import type { Logger } from '../telemetry/logger.js';

// A pipeline runtime's checkpoints: restore the engine from base + deltas (or a version-1 JSON
// checkpoint, once), capture the state synchronously between batches, write it after the outputs
// are durable. With a Kafka changelog the streams' states live there: the files keep the rest.

/** State captured for one checkpoint, ready to be written. */
export interface CapturedCheckpoint {
  readonly kind: 'base' | 'delta';
  readonly state: CheckpointState;
  readonly chunks: readonly RecordChunk[];
  readonly streams: number;
}

/** What the last write did (the scale bench and debug logs read it). */
export interface CheckpointWriteInfo {
  readonly kind: 'base' | 'delta';
  readonly bytes: number;
  readonly streams: number;
  /** Capture plus write, in ms. */
  readonly ms: number;
  /** The synchronous capture alone (the engine waits that long), in ms. */
  readonly captureMs: number;
}

export interface RestoredRuntimeState {
  readonly sources: Readonly<Record<string, number>>;
  readonly fitWindow?: FitWindow;
  readonly retraining?: unknown;
  readonly writtenAt: string;
  readonly streams: number;
}

export class RuntimeCheckpoints {
  private readonly writer: CheckpointWriter;
  private readonly streamsInKafka: boolean;
  last: CheckpointWriteInfo | undefined;

  constructor(
    readonly spec: PipelineSpec,
    private readonly engine: PipelineEngine,
    private readonly log: Logger,
  ) {
    this.writer = new CheckpointWriter(spec);
    this.streamsInKafka = statesLiveInKafka(spec.sources);
  }

  /** Restores weights and streams from the checkpoint; undefined when there is none. */
  async restore(): Promise<RestoredRuntimeState | undefined> {
    const cp = await readCheckpoint(this.spec);
    if (cp === undefined) return undefined;
    const { engine } = this;
    engine.runner.importWeights(cp.meta.model);
    let dropped: string[] = [];
    if (!this.streamsInKafka) {
      if (cp.legacy !== undefined) {
        dropped = engine.restore(cp.legacy);
        this.log.info(
          { streams: cp.legacy.streams.length },
          'Restored a version-1 JSON checkpoint; the next checkpoint is binary and replaces it.',
        );
      } else if (cp.meta.layout !== undefined) {
        engine.eviction?.clear();
        dropped = engine.restoreCaptured(cp.newestFirst, cp.meta.layout);
        if (cp.meta.head !== undefined) engine.head?.restore(cp.meta.head);
        // Over limits.max_resident_streams (or idle): out of memory again until their next record.
        engine.evictIdle();
      }
    }
    if (dropped.length > 0) {
      this.log.warn(
        { streams: dropped.length, example: dropped[0] },
        'Checkpointed alert state does not fit the alerting section (rules changed); those streams start alerting fresh.',
      );
    }
    this.writer.continueFrom(cp);
    const { sources, fitWindow, retraining, writtenAt } = cp.meta;
    return {
      sources,
      writtenAt,
      streams: engine.streamCount,
      ...(fitWindow && { fitWindow }),
      ...(retraining !== undefined && { retraining }),
    };
  }

  /** Takes the checkpoint's content now (synchronously, between batches): a base or only the changed streams. */
  capture(rest: Pick<CheckpointState, 'sources' | 'fitWindow' | 'retraining'>): CapturedCheckpoint {
    const { engine } = this;
    const t0 = performance.now();
    // Between batches, every step scored: idle streams may leave memory now (their records go along).
    if (!this.streamsInKafka) this.evicted = engine.evictIdle();
    const kind = this.writer.plan(this.streamsInKafka ? 0 : engine.changedStreams, engine.streamCount);
    const chunks = this.streamsInKafka ? [] : engine.captureStreams(kind === 'delta');
    const head = engine.head?.snapshot();
    const state: CheckpointState = {
      ...rest,
      model: engine.runner.exportWeights(),
      layout: engine.streamRecordLayout,
      ...(head !== undefined && { head }),
    };
    this.captureMs = performance.now() - t0;
    return { kind, state, chunks, streams: chunks.reduce((n, c) => n + c.records, 0) };
  }

  private captureMs = 0;
  /** Streams the last capture evicted. */
  evicted = 0;

  async write(c: CapturedCheckpoint, now: Date): Promise<CheckpointWriteInfo> {
    const t0 = performance.now();
    const bytes = await this.writer.write(c.kind, c.state, c.chunks, now);
    this.last = { kind: c.kind, bytes, streams: c.streams, ms: this.captureMs + performance.now() - t0, captureMs: this.captureMs };
    return this.last;
  }
}

import type { AlertEngine, AlertStreamSnapshot } from '../alerting/alert-engine.js';
import { bytesFromBase64, float64FromBase64, toBase64 } from '../core/base64.js';
import type { StreamReadouts } from '../forecasting/stream-readouts.js';
import type { StreamProcessor } from '../operators/stream-processor.js';
import type { EngineStreamSlots } from './engine-stream-slots.js';
import type { ModelRunner } from './model-runner.js';
import type { OnlineHeadSnapshot } from '../forecasting/online-head.js';

// A stream's whole engine state as plain JSON (checkpoints, the Kafka changelog) and back: the
// stream pipeline's state, the recurrent state, the per-slot counters and pending forecast, and the
// alert state. Byte states travel as base64 so that snapshots stay JSON.

export interface StreamSnapshot {
  readonly key: string;
  /** The stream pipeline's state (StreamProcessor.snapshot), base64; null before its first record. */
  readonly shape: string | null;
  /** Grid steps the stream has emitted (warm-up of the model's variance). */
  readonly seen: number;
  /** Newest event time seen (lateness metric); null before the first record. */
  readonly newest: number | null;
  /** Recurrent state, base64 little-endian float32. */
  readonly state: string;
  /** The one-step forecast pending for the next step: [t, mean, lower, upper] or null. */
  readonly pending: readonly [number, number, number, number] | null;
  /** The stream's alert scoring and rule state (AlertEngine.exportStream); absent in older checkpoints. */
  readonly alerts?: AlertStreamSnapshot | null;
  /** The served forecaster's readout record (StreamReadouts.exportSlot), base64 float64; absent without readouts. */
  readonly readout?: string;
}

export interface EngineSnapshot {
  readonly pipeline: string;
  readonly inputSize: number;
  readonly stateSize: number;
  readonly streams: readonly StreamSnapshot[];
  /** model.online_head's state (absent without a head). */
  readonly head?: OnlineHeadSnapshot;
}

/** The engine parts that hold a stream's state. */
export interface EngineStreamParts {
  readonly runner: ModelRunner;
  readonly processor: StreamProcessor;
  readonly alerts: AlertEngine;
  readonly slots: EngineStreamSlots;
  readonly readouts: StreamReadouts | undefined;
}

/** The snapshot of a stream the engine holds (its slot exists). */
export function snapshotStream(parts: EngineStreamParts, key: string): StreamSnapshot {
  const { runner, processor, alerts, slots } = parts;
  const slot = runner.arena.peek(key);
  const state = runner.arena.exportState(key) as Uint8Array;
  const shape = processor.snapshot(key);
  return {
    key,
    shape: shape === undefined ? null : toBase64(shape),
    seen: slots.seen[slot],
    newest: Number.isNaN(slots.newest[slot]) ? null : slots.newest[slot],
    state: toBase64(state),
    pending: slots.pending.tupleOf(slot),
    alerts: alerts.exportStream(key),
    ...(parts.readouts === undefined ? {} : { readout: toBase64(parts.readouts.exportSlot(slot)) }),
  };
}

/** Restores a stream; false when its alert state did not fit the alerting section (its alerting starts fresh). */
export function restoreStream(parts: EngineStreamParts, st: StreamSnapshot): boolean {
  const { runner, processor, alerts, slots } = parts;
  const slot = runner.arena.importState(st.key, bytesFromBase64(st.state));
  slots.ensure(slot);
  if (st.shape !== null) processor.restore(st.key, bytesFromBase64(st.shape));
  slots.seen[slot] = st.seen;
  slots.newest[slot] = st.newest ?? NaN;
  slots.pending.restore(slot, st.pending);
  // A record made with other readout settings (or none) is not used: the stream's readouts start afresh.
  if (parts.readouts !== undefined) {
    if (st.readout === undefined) parts.readouts.forget(slot);
    else parts.readouts.importSlot(slot, float64FromBase64(st.readout));
  }
  return !st.alerts || alerts.importStream(st.key, st.alerts);
}

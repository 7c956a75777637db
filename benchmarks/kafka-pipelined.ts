import { Observable, type OperatorFunction } from 'rxjs';
import type { KafkaSink } from '../connectors/kafka/sink.js';
import type { SourceBatch } from '../connectors/kafka/types.js';
import type { KafkaChangelog } from '../connectors/kafka/changelog/changelog.js';
import type { BenchEngine } from './kafka-engine.js';

// The Kafka benchmark's instance loop, in two overlapping stages so that the model never waits for the
// brokers: (1) step each source batch through the engine as it arrives and start writing its outputs;
// (2) in batch order, once a batch's outputs are durable, put its streams' states (taken right after its
// step) into the changelog, flush, and only then ack the batch (its offsets become committable). Batches
// whose outputs became durable while a flush was in flight share the next flush.

export interface PipelineProfile {
  calls: number;
  records: number;
  /** Engine step (parse + pipeline + model) and taking the touched streams' states. */
  stepMs: number;
  /** Handing the outputs to the sink (with a producer thread: packing them for it). */
  writeCallMs: number;
  /** Changelog puts and flushes. */
  changelogMs: number;
}

export interface PipelinedOptions {
  readonly engine: BenchEngine;
  readonly sink: KafkaSink;
  readonly changelog: KafkaChangelog;
  readonly onDone: (b: SourceBatch) => void;
  readonly profile: PipelineProfile;
  /**
   * Stepped records whose outputs or state may be in flight at once; further batches wait (and the
   * source, whose unacked records are bounded too, pauses).
   */
  readonly maxInFlightRecords?: number;
  /**
   * Least time between changelog flushes: batches that become durable meanwhile share the next flush, so
   * a stream's state is written once per flush rather than once per batch. Acks wait for it (commits come
   * later); forecasts do not.
   */
  readonly changelogIntervalMs?: number;
}

interface Stepped {
  readonly batch: SourceBatch;
  readonly states: readonly (readonly [key: string, partition: number, state: Uint8Array, offset: number])[];
  durable: boolean;
}

export function pipelined(o: PipelinedOptions): OperatorFunction<SourceBatch, void> {
  const { engine, sink, changelog, onDone, profile: prof } = o;
  const maxInFlight = o.maxInFlightRecords ?? 50_000;
  const interval = o.changelogIntervalMs ?? 200;
  return (source) =>
    new Observable<void>((sub) => {
      const waiting: SourceBatch[] = [];
      const inFlight: Stepped[] = [];
      let inFlightRecords = 0;
      let committing = false;
      let lastFlush = -Infinity;
      const fail = (err: unknown) => sub.error(err);

      const step = (batch: SourceBatch) => {
        const t0 = performance.now();
        const out = engine.step(batch.records);
        const states: [string, number, Uint8Array, number][] = [];
        for (const [key, { partition, offset }] of out.touched) {
          const state = engine.exportState(key);
          if (state !== undefined) states.push([key, partition, state, offset]);
        }
        const t1 = performance.now();
        const s: Stepped = { batch, states, durable: false };
        inFlight.push(s);
        inFlightRecords += batch.records.length;
        sink.write({ forecasts: out.forecasts, deadLetters: out.deadLetters }).then(() => {
          s.durable = true;
          commit();
        }, fail);
        prof.calls++;
        prof.records += batch.records.length;
        prof.stepMs += t1 - t0;
        prof.writeCallMs += performance.now() - t1;
      };

      const stepWaiting = () => {
        while (waiting.length > 0 && inFlightRecords < maxInFlight) step(waiting.shift()!);
      };

      const commit = () => {
        if (committing) return;
        committing = true;
        void (async () => {
          while (inFlight.length > 0 && inFlight[0].durable) {
            const wait = lastFlush + interval - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            const t0 = performance.now();
            const ready: Stepped[] = [];
            while (inFlight.length > 0 && inFlight[0].durable) ready.push(inFlight.shift()!);
            for (const r of ready) for (const [key, partition, state, offset] of r.states) changelog.put(key, partition, state, offset);
            await changelog.flush();
            lastFlush = performance.now();
            prof.changelogMs += lastFlush - t0;
            for (const r of ready) {
              inFlightRecords -= r.batch.records.length;
              r.batch.ack('done');
              onDone(r.batch);
            }
            stepWaiting();
          }
        })()
          .catch(fail)
          .finally(() => {
            committing = false;
            if (inFlight.length > 0 && inFlight[0].durable) commit();
          });
      };

      return source.subscribe({
        next: (batch) => {
          if (inFlightRecords < maxInFlight && waiting.length === 0) step(batch);
          else waiting.push(batch);
        },
        error: fail,
        complete: () => sub.complete(),
      });
    });
}

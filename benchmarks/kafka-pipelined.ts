import { Observable, type OperatorFunction } from 'rxjs';
import type { KafkaSink } from '../connectors/kafka/sink.js';
import type { SourceBatch } from '../connectors/kafka/types.js';
import type { KafkaChangelog } from '../connectors/kafka/changelog/changelog.js';
import type { DeadLetter, Forecast } from '../src/core/types.js';
import type { BenchEngine, EngineOutput } from './kafka-engine.js';
import { noStages, type StageObserver } from '../connectors/kafka/stage-latency.js';
import { StateCuts } from '../connectors/kafka/state-cuts.js';

// The Kafka benchmark's instance loop, in two overlapping stages so that the model never waits for the
// brokers: (1) step each source batch through the engine as it arrives and write the outputs of the
// batches of one event-loop turn together;
// (2) every changelog interval, a cut (connectors/kafka/state-cuts.ts) exports the state of each stream
// stepped since the last cut once, waits for the outputs of the cut's batches to be durable, writes the
// states to the changelog, flushes, and only then acks the batches (their offsets become committable).

export interface PipelineProfile {
  calls: number;
  records: number;
  /** Engine step (parse + pipeline + model). */
  stepMs: number;
  /** Handing the outputs to the sink (with a producer thread: packing them for it), once per turn. */
  writeCallMs: number;
  /** Taking the stepped streams' states for the changelog (once per stream and cut). */
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
  /** Times the queue, engine, sink and changelog stages per batch. */
  readonly stages?: StageObserver;
}

export function pipelined(o: PipelinedOptions): OperatorFunction<SourceBatch, void> {
  const { engine, sink, changelog, onDone, profile: prof } = o;
  const maxInFlight = o.maxInFlightRecords ?? 16_000;
  const stages = o.stages ?? noStages;
  return (source) =>
    new Observable<void>((sub) => {
      const waiting: SourceBatch[] = [];
      let inFlightRecords = 0;
      const fail = (err: unknown) => sub.error(err);
      const cuts = new StateCuts<SourceBatch>({
        exportState: (key) => {
          const t0 = performance.now();
          const st = engine.exportState(key);
          prof.changelogMs += performance.now() - t0;
          return st;
        },
        changelog,
        intervalMs: o.changelogIntervalMs ?? 200,
        stages,
        fail,
        ack: (batch) => {
          inFlightRecords -= batch.records.length;
          batch.ack('done');
          onDone(batch);
          stepWaiting();
        },
      });

      // Outputs of the batches stepped in one turn of the event loop (a fetch hands out one batch per
      // partition) go out in one write: one produce request for them rather than one per batch.
      let forecasts: Forecast[] = [];
      let deadLetters: DeadLetter[] = [];
      let stepped: { batch: SourceBatch; touched: EngineOutput['touched']; at: number }[] = [];
      const writeStepped = () => {
        const t0 = performance.now();
        const durable = sink.write({ forecasts, deadLetters });
        for (const s of stepped) {
          durable.then(() => stages.observe('sink', performance.now() - s.at), fail);
          cuts.add(s.batch, s.touched, durable);
        }
        forecasts = [];
        deadLetters = [];
        stepped = [];
        prof.writeCallMs += performance.now() - t0;
      };

      const step = (batch: SourceBatch) => {
        const t0 = performance.now();
        if (batch.handedOutAt !== undefined) stages.observe('queue', Date.now() - batch.handedOutAt);
        const out = engine.step(batch.records);
        const t1 = performance.now();
        stages.observe('engine', t1 - t0);
        inFlightRecords += batch.records.length;
        if (stepped.length === 0) setImmediate(writeStepped);
        for (const f of out.forecasts) forecasts.push(f);
        for (const d of out.deadLetters) deadLetters.push(d);
        stepped.push({ batch, touched: out.touched, at: t1 });
        prof.calls++;
        prof.records += batch.records.length;
        prof.stepMs += t1 - t0;
      };

      const stepWaiting = () => {
        while (waiting.length > 0 && inFlightRecords < maxInFlight) step(waiting.shift()!);
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

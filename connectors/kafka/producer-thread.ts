import { Worker } from 'node:worker_threads';
import { TidecastError } from '../../src/core/errors.js';
import { silentLog, type KafkaLog } from './client.js';
import type { Forecast } from '../../src/core/types.js';
import { forecastTransferables, packForecasts } from './packed-forecasts.js';
import { packRecords, transferablesOf } from './packed-records.js';
import type { FromProducer, ProducerOptions, ToProducer } from './producer-messages.js';
import type { KafkaOutRecord } from './records.js';
import type { SinkConnector } from './types.js';

/**
 * The KafkaProducerSink contract with the producing on a worker thread: kafkajs's per-record encoding
 * (about as costly as consuming, parsing and stepping the model together) runs on another core. A write
 * packs its records into transferable buffers, and resolves when the thread reports every record
 * durable (same idempotent producer, acks, bounded retries). Writes are sent in call order.
 */
export class ThreadedProducerSink implements SinkConnector<KafkaOutRecord> {
  readonly kind = 'kafka';
  sent = 0;
  private worker: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; count: number }>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly options: ProducerOptions,
    private readonly log: KafkaLog = silentLog,
  ) {}

  write(batch: readonly KafkaOutRecord[], signal?: AbortSignal): Promise<void> {
    return this.writeWithForecasts(batch, undefined, signal);
  }

  /**
   * Writes `forecasts` to `forecasts.topic` and `records` in one durable write; the forecasts are encoded
   * (forecastRecord) on the producer thread.
   */
  async writeWithForecasts(
    batch: readonly KafkaOutRecord[],
    forecasts: { readonly topic: string; readonly list: readonly Forecast[] } | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const count = batch.length + (forecasts?.list.length ?? 0);
    if (count === 0) return;
    if (signal?.aborted) throw new TidecastError('Kafka write aborted.', 'sink_rejected', true);
    if (this.closed) throw new TidecastError('Kafka sink is closed.', 'sink_rejected', false);
    const worker = await this.start();
    const id = this.nextId++;
    const records = packRecords(batch);
    const transfer = transferablesOf(records);
    const packed = forecasts === undefined || forecasts.list.length === 0 ? undefined : packForecasts(forecasts.topic, forecasts.list);
    if (packed !== undefined) transfer.push(...forecastTransferables(packed));
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject, count }));
    // Keep the process alive while a write is in flight, not while the thread idles.
    if (this.pending.size === 1) worker.ref();
    worker.postMessage({ type: 'send', id, records, forecasts: packed } satisfies ToProducer, transfer);
    return done;
  }

  /** Starts the thread and connects its producer, ahead of the first write. */
  async connect(): Promise<void> {
    if (this.closed) throw new TidecastError('Kafka sink is closed.', 'sink_rejected', false);
    const worker = await this.start();
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject, count: 0 }));
    if (this.pending.size === 1) worker.ref();
    worker.postMessage({ type: 'connect', id } satisfies ToProducer);
    return done;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker === null) return;
    worker.ref();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000); // a hung broker must not hang shutdown
      worker.on('message', (m: FromProducer) => {
        if (m.type !== 'closed') return;
        clearTimeout(timer);
        resolve();
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'close' } satisfies ToProducer);
    });
    await worker.terminate();
    this.worker = null;
  }

  private start(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const w = new Worker(new URL('./producer-worker-boot.mjs', import.meta.url), { workerData: { options: this.options } });
      this.worker = w;
      w.on('message', (m: FromProducer) => {
        if (m.type === 'ready') resolve(w);
        else if (m.type === 'done' || m.type === 'failed') this.settle(m);
        else if (m.type === 'log') this.log[m.level](m.fields, m.message);
      });
      w.on('error', (err) => this.fail(w, err, reject));
      w.on('exit', (code) => this.fail(w, new Error(`producer thread exited with code ${code}`), reject));
    });
    return this.ready;
  }

  private settle(m: Extract<FromProducer, { type: 'done' | 'failed' }>): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (m.type === 'done') {
      this.sent += p.count;
      p.resolve();
    } else {
      p.reject(
        new TidecastError(
          p.count === 0 ? `Kafka producer could not connect: ${m.message}` : `Kafka write of ${p.count} records failed: ${m.message}`,
          'broker_down',
          true,
        ),
      );
    }
  }

  /** The thread died: fail what it had in flight; the next write starts a new one. */
  private fail(w: Worker, err: Error, rejectStart: (e: Error) => void): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.ready = null;
    rejectStart(err);
    if (this.closed) return;
    this.log.error({ err: err.message }, 'Kafka producer thread failed.');
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new TidecastError(`Kafka write of ${p.count} records failed: ${err.message}`, 'broker_down', true, { cause: err }));
    }
  }
}

import { parentPort, workerData } from 'node:worker_threads';
import type { KafkaLog } from './client.js';
import { createKafkaClient } from './clients/index.js';
import type { FromProducer, ProducerOptions, ToProducer } from './producer-messages.js';
import { unpackForecasts } from './packed-forecasts.js';
import { unpackRecords } from './packed-records.js';
import { forecastRecord } from './records.js';
import { KafkaProducerSink, type OutMessage } from './sink.js';

// The producer thread of a ThreadedProducerSink: one idempotent producer (connection.client's library); sends go out in arrival
// order and it says when each is durable. Its warnings go to the caller's log.

const port = parentPort!;
const post = (m: FromProducer) => port.postMessage(m);
const log: KafkaLog = {
  debug() {},
  info() {},
  warn: (fields, message) => post({ type: 'log', level: 'warn', fields, message }),
  error: (fields, message) => post({ type: 'log', level: 'error', fields, message }),
};
const options = (workerData as { options: ProducerOptions }).options;
const sink = new KafkaProducerSink(createKafkaClient(options.connection, log), options, log);
const inFlight = new Set<Promise<void>>();

/** The send's records; its forecasts become JSON records here (the same code as KafkaSink's). */
function toMessages(m: Extract<ToProducer, { type: 'send' }>): OutMessage[] {
  const records: OutMessage[] = unpackRecords(m.records);
  if (m.forecasts === undefined) return records;
  const out: OutMessage[] = [];
  for (const f of unpackForecasts(m.forecasts)) out.push(forecastRecord(m.forecasts.topic, f));
  for (const r of records) out.push(r);
  return out;
}

port.on('message', (m: ToProducer) => {
  if (m.type === 'send') {
    // Sends queued behind one in flight go out together (KafkaProducerSink.send's group commit).
    const p = sink.send(toMessages(m)).then(
      () => post({ type: 'done', id: m.id }),
      (err: unknown) => post({ type: 'failed', id: m.id, message: (err as Error).message }),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  } else if (m.type === 'connect') {
    sink.connect().then(
      () => post({ type: 'done', id: m.id }),
      (err: unknown) => post({ type: 'failed', id: m.id, message: (err as Error).message }),
    );
  } else {
    void Promise.all(inFlight)
      .then(() => sink.close())
      .then(() => post({ type: 'closed' }));
  }
});
post({ type: 'ready' });

import { performance } from 'node:perf_hooks';
import { createKafkaClient } from '../connectors/kafka/clients/index.js';
import type { KafkaClientKind } from '../connectors/kafka/clients/port.js';
import { KafkaConnection, KafkaSinkConfig } from '../connectors/kafka/config.js';
import { forecastRecord } from '../connectors/kafka/records.js';
import { KafkaProducerSink, type OutMessage } from '../connectors/kafka/sink.js';
import type { Forecast } from '../src/core/types.js';
import { PipelineEngine } from '../src/engine/pipeline-engine.js';
import { createTopic, uniqueTopic } from '../test/helpers/kafka-topics.js';
import { benchSpec, STREAM_PREFIX } from './kafka-engine.js';

// The PRODUCE ceiling of the Kafka benchmark: how fast one producer with the sink's settings (idempotent,
// acks=all, one request in flight, requests capped at MAX_REQUEST_BYTES / MAX_REQUEST_RECORDS: it is
// KafkaProducerSink itself) gets the run's forecast records durable when nothing else runs. The records
// are the end-to-end run's: one per event, forecastRecord's key, value and tidecast-id header, encoded to
// bytes before the clock starts, to a fresh topic with as many partitions as the input.

/** One forecast record per event, as the end-to-end run writes them, as UTF-8 bytes. */
export function forecastMessages(topic: string, events: number, streams: number, stepMs: number, t0: number): OutMessage[] {
  const spec = benchSpec(stepMs);
  const modelVersion = new PipelineEngine(spec, {}).runner.version;
  const out: OutMessage[] = [];
  for (let j = 0; j < events; j++) {
    const s = j % streams;
    const k = Math.floor(j / streams);
    // Denormalised model output: full-precision doubles, like the engine's.
    const mean = Math.sin(k / 10 + s) * 10 + Math.cos(j) / 7;
    const f: Forecast = {
      pipeline: spec.name,
      key: `${STREAM_PREFIX}s${s}`,
      t: t0 + k * stepMs,
      stepMs,
      modelVersion,
      mean: Float64Array.of(mean),
      lower: Float64Array.of(mean - 1.959963984540054 * 1.1),
      upper: Float64Array.of(mean + 1.959963984540054 * 1.1),
    };
    const r = forecastRecord(topic, f);
    const headers: Record<string, Buffer> = {};
    for (const [name, value] of Object.entries(r.headers ?? {})) headers[name] = Buffer.from(value);
    out.push({ topic, key: r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value), headers });
  }
  return out;
}

/** Records per second from the first send until the last is acknowledged by all in-sync replicas. */
export async function rawProduce(
  brokers: string,
  opts: { events: number; streams: number; partitions: number; stepMs: number; t0: number; client?: KafkaClientKind },
): Promise<number> {
  const topic = uniqueTopic('bench-raw-produce');
  await createTopic(brokers, topic, opts.partitions);
  const messages = forecastMessages(topic, opts.events, opts.streams, opts.stepMs, opts.t0);
  const connection = KafkaConnection.parse({ brokers: [brokers], client_id: 'bench-raw-produce', client: opts.client });
  const producer = new KafkaProducerSink(createKafkaClient(connection), KafkaSinkConfig.parse({ connection, forecasts_topic: topic }));
  await producer.connect();
  try {
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    await producer.send(messages);
    const elapsed = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    // CPU per record tells encoding cost from waiting on the broker (acks=all, one request in flight).
    const cpuUs = (cpu.user + cpu.system) / opts.events;
    process.stderr.write(
      `kafka bench: raw produce: ${Math.round(elapsed)} ms, process CPU ${cpuUs.toFixed(1)} µs/record, ${messages[0].value.length} B values\n`,
    );
    if (producer.sent !== opts.events) throw new Error(`raw produce: ${producer.sent} of ${opts.events} records durable`);
    return (opts.events / elapsed) * 1_000;
  } finally {
    await producer.close();
  }
}

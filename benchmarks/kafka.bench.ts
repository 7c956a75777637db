import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Observable } from 'rxjs';
import { createKafka } from '../connectors/kafka/client.js';
import { KafkaConnection, KafkaSinkConfig, KafkaSourceConfig } from '../connectors/kafka/config.js';
import { KafkaSink } from '../connectors/kafka/sink.js';
import { KafkaSource } from '../connectors/kafka/source.js';
import type { SourceBatch } from '../connectors/kafka/types.js';
import { KafkaChangelogConfig } from '../src/state/changelog-config.js';
import { KafkaChangelog } from '../src/state/changelog.js';
import { startKafkaBroker, type KafkaBroker } from '../test/helpers/kafka-broker.js';
import { createTopic, testKafka, uniqueTopic } from '../test/helpers/kafka-topics.js';
import { createEngine } from './kafka-engine.js';

// npm run bench:kafka [-- --json] [--events N] [--streams M] [--partitions P] [--seconds S]
// On one topic of a real broker (KAFKA_BROKERS, or one started here): the raw kafkajs consume rate, then the
// end-to-end rate of one instance (Kafka in -> parse -> model step -> forecasts out + state changelog ->
// commit), then produce-to-forecast latency at half the end-to-end rate. The model step is the hook in
// kafka-engine.ts. Target: end-to-end >= 70% of raw, p99 < 50 ms at half rate. BENCH_PROFILE=1 prints where
// the pipeline's time went (model step, sink write, changelog flush) to stderr. In table mode a run without a
// model (the connector path alone) is measured too.

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const JSON_OUT = argv.includes('--json');
const EVENTS = flag('events', 100_000);
const STREAMS = flag('streams', 1_000);
const PARTITIONS = flag('partitions', 4);
const SECONDS = flag('seconds', 6);
const note = (msg: string) => process.stderr.write(`kafka bench: ${msg}\n`);

async function prefill(brokers: string, topic: string): Promise<void> {
  const producer = testKafka(brokers).producer();
  await producer.connect();
  const chunk = 10_000;
  for (let i = 0; i < EVENTS; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(EVENTS, i + chunk); j++) {
      messages.push({ key: `bench/s${j % STREAMS}/v`, value: `{"t":${1_700_000_000_000 + j * 1_000},"v":${(j % 97) / 10}}` });
    }
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
}

/** Plain kafkajs consumer group, counting messages: the ceiling for any consumer on this topic. */
async function rawConsume(brokers: string, topic: string): Promise<number> {
  const consumer = testKafka(brokers).consumer({ groupId: uniqueTopic('bench-raw'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let joined = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined ||= performance.now()));
  const elapsed = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value !== null) n++;
        if (n >= EVENTS) resolve(performance.now() - joined);
      },
    });
  });
  await consumer.disconnect();
  return (EVENTS / elapsed) * 1_000;
}

/** Hands items to `handle` in arrival order, all that queued up while the previous call ran at once. */
function coalesceWhileBusy<T>(handle: (items: T[]) => Promise<void>, maxItems: number) {
  return (source: Observable<T>) =>
    new Observable<void>((sub) => {
      let queue: T[] = [];
      let busy = false;
      const drain = async () => {
        busy = true;
        while (queue.length > 0) {
          const items = queue.splice(0, maxItems);
          await handle(items);
        }
        busy = false;
      };
      return source.subscribe({
        next: (item) => {
          queue.push(item);
          if (!busy) drain().catch((err: unknown) => sub.error(err));
        },
        error: (err: unknown) => sub.error(err),
        complete: () => sub.complete(),
      });
    });
}

interface Pipeline {
  stop(): Promise<void>;
}

/** One instance of the connector path; `onDone` sees each batch after its outputs and state are durable. */
async function startPipeline(
  brokers: string,
  topic: string,
  engineKind: 'lstm' | 'none',
  onDone: (b: SourceBatch, now: number) => void,
  onJoin: () => void = () => {},
): Promise<Pipeline> {
  const connection = KafkaConnection.parse({ brokers: [brokers], client_id: 'bench' });
  const kafka = createKafka(connection);
  const engine = createEngine(engineKind);
  const output = uniqueTopic('bench-forecasts');
  await createTopic(brokers, output, PARTITIONS);
  const changelog = new KafkaChangelog(kafka, KafkaChangelogConfig.parse({ topic: `${topic}-changelog` }), connection);
  await changelog.ensureTopic(topic);
  const sink = new KafkaSink(KafkaSinkConfig.parse({ connection, forecasts_topic: output, dead_letter_topic: output }), { kafka });
  const source = new KafkaSource(
    KafkaSourceConfig.parse({ connection, topics: [topic], group_id: uniqueTopic('bench-e2e'), format: 'json', max_batch_records: 2_000, max_in_flight: 20_000 }),
    { kafka, hooks: { onAssignment: onJoin } },
  );
  // Batches that arrive while one is being written are taken together next time: one sink write and one
  // changelog flush for all of them, so per-batch round trips do not pile up under load.
  const handle = async (batches: SourceBatch[]) => {
    const t0 = performance.now();
    const records = batches.length === 1 ? batches[0].records : batches.flatMap((b) => b.records);
    const out = engine.step(records);
    const t1 = performance.now();
    await sink.write({ forecasts: out.forecasts, deadLetters: out.deadLetters });
    const t2 = performance.now();
    for (const [key, { partition, offset }] of out.touched) changelog.put(key, partition, engine.exportState(key)!, offset);
    await changelog.flush();
    const t3 = performance.now();
    const now = Date.now();
    for (const b of batches) {
      b.ack('done');
      onDone(b, now);
    }
    prof.batches++;
    prof.records += records.length;
    prof.step += t1 - t0;
    prof.sink += t2 - t1;
    prof.changelog += t3 - t2;
  };
  const abort = new AbortController();
  const sub = source
    .start(abort.signal)
    .pipe(coalesceWhileBusy(handle, 8))
    .subscribe({ error: (e: unknown) => note(`pipeline failed: ${String(e)}`) });
  const prof = { batches: 0, records: 0, step: 0, sink: 0, changelog: 0 };
  return {
    stop: async () => {
      if (process.env.BENCH_PROFILE) note(`profile ${engineKind}: ${JSON.stringify(prof)}`);
      abort.abort();
      await source.close();
      sub.unsubscribe();
      await Promise.all([sink.close(), changelog.close()]);
    },
  };
}

async function endToEnd(brokers: string, topic: string, engineKind: 'lstm' | 'none'): Promise<number> {
  let n = 0;
  let joined = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const p = await startPipeline(
    brokers,
    topic,
    engineKind,
    (b) => {
      n += b.records.length;
      last = performance.now();
      if (n >= EVENTS) done();
    },
    () => (joined ||= performance.now()),
  );
  await finished;
  await p.stop();
  return (EVENTS / (last - joined)) * 1_000;
}

async function latency(brokers: string, rate: number): Promise<{ p50: number; p99: number; n: number }> {
  const topic = uniqueTopic('bench-latency');
  await createTopic(brokers, topic, PARTITIONS);
  const samples = new Float64Array(Math.ceil(rate * SECONDS * 1.2) + 1_000);
  let n = 0;
  const p = await startPipeline(brokers, topic, 'lstm', (b, now) => {
    for (const r of b.records) {
      const t = Number(r.payload.slice(5, r.payload.indexOf(',')));
      if (n < samples.length) samples[n++] = now - t;
    }
  });
  await new Promise((r) => setTimeout(r, 3_000)); // the group settles before the clock starts
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const job = JSON.stringify({ brokers, topic, rate, seconds: SECONDS, streams: STREAMS });
  const producer = spawn(process.execPath, ['--import', loader, resolve(import.meta.dirname, 'kafka-paced-producer.ts'), job], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  producer.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((res) => producer.on('exit', res));
  if (code !== 0) throw new Error(`paced producer exited with ${code}`);
  const { sent } = JSON.parse(stdout) as { sent: number };
  const deadline = Date.now() + 30_000;
  while (n < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await p.stop();
  const s = samples.subarray(0, n).sort();
  return { p50: s[Math.floor(0.5 * (n - 1))], p99: s[Math.floor(0.99 * (n - 1))], n };
}

let broker: KafkaBroker | null = null;
try {
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    note('starting a broker (scripts/kafka.sh)');
    broker = await startKafkaBroker();
    brokers = broker.brokers;
  }
  const topic = uniqueTopic('bench-in');
  await createTopic(brokers, topic, PARTITIONS);
  note(`producing ${EVENTS} events over ${STREAMS} streams into ${PARTITIONS} partitions`);
  await prefill(brokers, topic);
  note('raw kafkajs consume');
  const raw = await rawConsume(brokers, topic);
  let connector = NaN;
  if (!JSON_OUT) {
    note(`connector path (${createEngine('none').name})`);
    connector = await endToEnd(brokers, topic, 'none');
  }
  note(`end to end (${createEngine('lstm').name})`);
  const e2e = await endToEnd(brokers, topic, 'lstm');
  const rate = Math.round(e2e / 2);
  note(`latency at ${rate} events/s for ${SECONDS} s`);
  const lat = await latency(brokers, rate);
  const result = { endToEndEventsPerSec: Math.round(e2e), rawConsumeEventsPerSec: Math.round(raw), p50Ms: lat.p50, p99Ms: lat.p99 };
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    console.table({
      'raw kafkajs consume': { 'events/s': result.rawConsumeEventsPerSec, 'vs raw': '100%', 'p50 ms': '', 'p99 ms': '' },
      'connector path, no model (1 instance)': { 'events/s': Math.round(connector), 'vs raw': `${((100 * connector) / raw).toFixed(0)}%`, 'p50 ms': '', 'p99 ms': '' },
      'end to end, stand-in LSTM (1 instance)': { 'events/s': result.endToEndEventsPerSec, 'vs raw': `${((100 * e2e) / raw).toFixed(0)}%`, 'p50 ms': '', 'p99 ms': '' },
      [`latency at ${rate}/s (${lat.n} events)`]: { 'events/s': rate, 'vs raw': '', 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms },
    });
    console.log(`target: end to end >= 70% of raw (${e2e >= 0.7 * raw ? 'met' : 'NOT met'}), p99 < 50 ms at half rate (${lat.p99 < 50 ? 'met' : 'NOT met'})`);
  }
} finally {
  await broker?.stop();
}
process.exit(0);

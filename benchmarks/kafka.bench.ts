import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createKafkaClient } from '../connectors/kafka/clients/index.js';
import { KafkaConnection, KafkaSinkConfig, KafkaSourceConfig } from '../connectors/kafka/config.js';
import { KafkaSink } from '../connectors/kafka/sink.js';
import { KafkaSource } from '../connectors/kafka/source.js';
import type { SourceBatch } from '../connectors/kafka/types.js';
import { KafkaChangelogConfig } from '../connectors/kafka/changelog/changelog-config.js';
import { KafkaChangelog } from '../connectors/kafka/changelog/changelog.js';
import { startKafkaBroker, type KafkaBroker } from '../test/helpers/kafka-broker.js';
import { createTopic, testKafka, uniqueTopic } from '../test/helpers/kafka-topics.js';
import { createEngine } from './kafka-engine.js';
import { pipelined, type PipelineProfile } from './kafka-pipelined.js';
import { rawProduce } from './kafka-raw-produce.js';
import { clientFigures } from './kafka-clients.js';
import type { KafkaClientKind } from '../connectors/kafka/clients/port.js';
import { DEFAULT_KAFKA_CLIENT } from '../connectors/kafka/config.js';
import { StageRecorder, type StageObserver } from '../connectors/kafka/stage-latency.js';
import { takeoverRecovery } from './kafka-takeover.js';
import { daemonEndToEnd, startDaemonPath } from './kafka-daemon-path.js';

// npm run bench:kafka [-- --json] [--events N] [--streams M] [--partitions P] [--seconds S] [--producer-thread]
//                     [--fetch-min-bytes B] [--max-wait MS] [--changelog-ms T] [--warmup S] [--skip raw,produce,connector,e2e,daemon,latency,tenth,inline,takeover,clients] [--rate R: the latency run's rate instead of half the end-to-end rate]
// On one topic of a real broker (KAFKA_BROKERS, or one started here): the raw kafkajs consume rate; the
// raw produce rate of the run's forecast records (pre-encoded, the sink's producer settings, no engine:
// with one output record per event, min(produce, consume) / consume bounds end to end / raw); the
// connector path alone (Kafka source -> parse -> one record per event out + state changelog -> commit);
// end to end with the daemon's pipeline (Kafka in -> RecordParser -> PipelineEngine: stream pipeline +
// LSTM step -> forecasts out + state changelog -> commit); then produce-to-forecast latency at half the
// end-to-end rate, measured by a child process that produces the input and reads the forecasts topic.
// Forecasts are produced inline (the daemon's default) unless --producer-thread. Target: end to end >= 35% of raw,
// p99 < 50 ms at half rate. BENCH_PROFILE=1 prints where the pipeline's time went to stderr.

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const JSON_OUT = argv.includes('--json');
// Inline by default, as the daemon's sink (producer_thread: false); --producer-thread for the worker thread.
const THREADED = argv.includes('--producer-thread') && !argv.includes('--inline-producer');
/** The producer of the run in progress: end to end runs once each way (--skip inline leaves the inline run out). */
let producerThread = THREADED;
const EVENTS = flag('events', 100_000);
const STREAMS = flag('streams', 1_000);
const PARTITIONS = flag('partitions', 4);
const SECONDS = flag('seconds', 6);
/** Least time between state changelog flushes (acks, hence commits, wait for them; forecasts do not). */
const CHANGELOG_MS = flag('changelog-ms', 200);
/** The source's fetch_min_bytes and max_wait_ms (a fetch waits for this many bytes, up to this long). */
const FETCH = {
  ...(argv.includes('--fetch-min-bytes') && { fetch_min_bytes: flag('fetch-min-bytes', 1) }),
  max_wait_ms: flag('max-wait', 100),
};
/** Seconds at the start of the latency run that are not measured (JIT, connections, first steps). */
const WARMUP_S = flag('warmup', 1);
/** --skip connector,latency: leave phases out (their keys are then null). */
const SKIP = new Set((argv[argv.indexOf('--skip') + 1] ?? '').split(',').filter(() => argv.includes('--skip')));
/** Step of the throughput runs' data: every stream has one event per step. */
const STEP_MS = 1_000;
const T0 = 1_700_000_000_000;
const note = (msg: string) => process.stderr.write(`kafka bench: ${msg}\n`);
type EngineKind = 'pipeline' | 'none';

async function prefill(brokers: string, topic: string): Promise<void> {
  const producer = testKafka(brokers).producer();
  await producer.connect();
  const chunk = 1_000;
  for (let i = 0; i < EVENTS; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(EVENTS, i + chunk); j++) {
      const s = j % STREAMS;
      const k = Math.floor(j / STREAMS);
      messages.push({ key: `s${s}`, value: `{"stream":"s${s}","t":${T0 + k * STEP_MS},"v":${(Math.sin(k / 10 + s) * 10).toFixed(3)}}` });
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

interface Pipeline {
  readonly output: string;
  stop(): Promise<void>;
}

/** One instance: source -> engine -> sink + changelog -> ack; `onDone` sees each batch once it is durable. */
async function startPipeline(
  brokers: string,
  topic: string,
  kind: EngineKind,
  stepMs: number,
  onDone: (b: SourceBatch) => void,
  onJoin: () => void = () => {},
  stages?: StageObserver,
  client: KafkaClientKind = DEFAULT_KAFKA_CLIENT,
): Promise<Pipeline> {
  const connection = KafkaConnection.parse({ brokers: [brokers], client_id: 'bench', client });
  const kafka = createKafkaClient(connection);
  const engine = createEngine(kind, stepMs);
  const output = uniqueTopic('bench-forecasts');
  await createTopic(brokers, output, PARTITIONS);
  const changelog = new KafkaChangelog(kafka, KafkaChangelogConfig.parse({ topic: `${topic}-changelog` }));
  await changelog.ensureTopic(topic);
  const sink = new KafkaSink(KafkaSinkConfig.parse({ connection, forecasts_topic: output, dead_letter_topic: output }), {
    client: kafka,
    producerThread,
  });
  await sink.connect(); // the producer (and its thread) starts before the clock does
  const source = new KafkaSource(
    KafkaSourceConfig.parse({
      connection,
      topics: [topic],
      group_id: uniqueTopic('bench-e2e'),
      format: 'json',
      max_batch_records: 2_000,
      max_in_flight: 5_000,
      ...FETCH,
    }),
    { client: kafka, hooks: { onAssignment: onJoin }, stages },
  );
  const prof: PipelineProfile = { calls: 0, records: 0, stepMs: 0, writeCallMs: 0, changelogMs: 0 };
  // CPU of this process (every thread) and busy time of this thread: load-independent costs per event.
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const abort = new AbortController();
  const sub = source
    .start(abort.signal)
    .pipe(pipelined({ engine, sink, changelog, onDone, profile: prof, changelogIntervalMs: CHANGELOG_MS, stages }))
    .subscribe({ error: (e: unknown) => note(`pipeline failed: ${String(e)}`) });
  return {
    output,
    stop: async () => {
      if (process.env.BENCH_PROFILE) {
        const cpu = process.cpuUsage(cpu0);
        const elu = performance.eventLoopUtilization(elu0);
        const perK = (ms: number) => Math.round(((1_000 * ms) / Math.max(1, prof.records)) * 100) / 100;
        const all = {
          ...prof,
          processCpuMs: (cpu.user + cpu.system) / 1_000,
          mainBusyMs: elu.active,
          produced: sink.producer.sent,
          changelogWritten: changelog.stats.written,
        };
        note(`profile ${kind}: ${JSON.stringify(all, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`);
        note(
          `  per 1k events: process CPU ${perK(all.processCpuMs)} ms, main thread busy ${perK(elu.active)} ms, engine ${perK(prof.stepMs)} ms, sink call ${perK(prof.writeCallMs)} ms`,
        );
      }
      abort.abort();
      await source.close();
      sub.unsubscribe();
      await Promise.all([sink.close(), changelog.close()]);
    },
  };
}

async function endToEnd(brokers: string, topic: string, kind: EngineKind, client: KafkaClientKind = DEFAULT_KAFKA_CLIENT): Promise<number> {
  let n = 0;
  let joined = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const p = await startPipeline(
    brokers,
    topic,
    kind,
    STEP_MS,
    (b) => {
      n += b.records.length;
      last = performance.now();
      if (n >= EVENTS) done();
    },
    () => (joined ||= performance.now()),
    undefined,
    client,
  );
  await finished;
  await p.stop();
  return (EVENTS / (last - joined)) * 1_000;
}

interface Latency {
  readonly rate: number;
  readonly stepMs: number;
  readonly sent: number;
  readonly forecasts: number;
  /** Forecasts the measured steps should give (one per stream and step after the warm-up). */
  readonly expected: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Per-stage waits of the measured part (ms per batch: p50, p99, max). */
  readonly stages?: ReturnType<StageRecorder['summary']>;
}

/** Latency through the bench's direct loop, or through the daemon's PipelineRuntime (no stage timings). */
async function latency(brokers: string, targetRate: number, path: 'direct' | 'daemon' = 'direct'): Promise<Latency> {
  // Every stream sends once per step, so the step follows from the rate.
  const stepMs = Math.max(1, Math.round((STREAMS * 1_000) / targetRate));
  const rate = (STREAMS * 1_000) / stepMs;
  note(`latency (${path}) at ${Math.round(rate)} events/s (step ${stepMs} ms) for ${SECONDS} s`);
  const topic = uniqueTopic('bench-latency');
  await createTopic(brokers, topic, PARTITIONS);
  const stages = new StageRecorder();
  const p =
    path === 'direct'
      ? await startPipeline(
          brokers,
          topic,
          'pipeline',
          stepMs,
          () => {},
          () => {},
          stages,
        )
      : await startDaemonPath({
          brokers,
          topic,
          events: 0,
          partitions: PARTITIONS,
          stepMs,
          client: DEFAULT_KAFKA_CLIENT,
          producerThread: THREADED,
          fetch: FETCH,
        });
  await new Promise((r) => setTimeout(r, 3_000)); // the group settles before the clock starts
  // The stages are timed after the warm-up, as the latencies are (the producer starts about 1 s from now).
  setTimeout(() => stages.reset(), 1_000 + WARMUP_S * 1_000).unref();
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const job = JSON.stringify({
    brokers,
    topic,
    forecastsTopic: p.output,
    streams: STREAMS,
    stepMs,
    seconds: SECONDS,
    warmupSeconds: WARMUP_S,
  });
  const child = spawn(process.execPath, ['--import', loader, resolve(import.meta.dirname, 'kafka-paced-producer.ts'), job], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  await p.stop();
  if (code !== 0) throw new Error(`paced producer exited with ${code}`);
  const result = { rate, stepMs, ...(JSON.parse(stdout) as Omit<Latency, 'rate' | 'stepMs'>), stages: stages.summary() };
  note(`latency stages at ${Math.round(rate)}/s (ms per batch): ${JSON.stringify(result.stages)}`);
  return result;
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
  // --skip raw leaves out the prefilled topic and its raw consume (only with connector and e2e skipped too).
  const needsTopic = !SKIP.has('raw') || !SKIP.has('connector') || !SKIP.has('e2e');
  if (needsTopic) await prefill(brokers, topic);
  note('raw kafkajs consume');
  const raw = needsTopic ? await rawConsume(brokers, topic) : NaN;
  note("raw kafkajs produce (forecast records, pre-encoded, the sink's producer settings)");
  const produce = SKIP.has('produce')
    ? NaN
    : await rawProduce(brokers, { events: EVENTS, streams: STREAMS, partitions: PARTITIONS, stepMs: STEP_MS, t0: T0 });
  /** What one output record per event through kafkajs allows end to end, as a share of raw consume. */
  const ceiling = Math.min(produce, raw) / raw;
  note(`connector path (${createEngine('none', STEP_MS).name}), producer ${THREADED ? 'on a worker thread' : 'inline'}`);
  const connector = SKIP.has('connector') ? NaN : await endToEnd(brokers, topic, 'none');
  note(`end to end (${createEngine('pipeline', STEP_MS).name})`);
  const e2e = SKIP.has('e2e') ? NaN : await endToEnd(brokers, topic, 'pipeline');
  // The daemon's own path (PipelineRuntime: the RxJS pipeline) on the same topic, against the direct loop.
  note(`end to end through the daemon's PipelineRuntime (RxJS pipeline), producer ${THREADED ? 'on a worker thread' : 'inline'}`);
  const daemonPath = (client: KafkaClientKind) =>
    daemonEndToEnd({
      brokers: brokers!,
      topic,
      events: EVENTS,
      partitions: PARTITIONS,
      stepMs: STEP_MS,
      client,
      producerThread: THREADED,
      fetch: FETCH,
    });
  const daemon = SKIP.has('daemon') ? NaN : await daemonPath(DEFAULT_KAFKA_CLIENT);
  const latencyRate = flag('rate', e2e / 2);
  const lat =
    SKIP.has('latency') || Number.isNaN(latencyRate)
      ? { rate: NaN, stepMs: NaN, sent: 0, forecasts: 0, expected: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }
      : await latency(brokers, latencyRate);
  if (lat.forecasts < lat.expected) note(`latency: only ${lat.forecasts} of ${lat.expected} forecasts seen within 15 s of the last event`);
  const tenthRate = flag('rate-tenth', e2e / 10);
  const tenth = SKIP.has('latency') || SKIP.has('tenth') || Number.isNaN(tenthRate) ? null : await latency(brokers, tenthRate);
  // Through the daemon's own path (what a user runs), at half and a tenth of that path's own maximum.
  const daemonRate = flag('rate', daemon / 2);
  const daemonTenthRate = flag('rate-tenth', daemon / 10);
  const daemonLatency = SKIP.has('latency') || Number.isNaN(daemonRate) ? null : await latency(brokers, daemonRate, 'daemon');
  const daemonTenth =
    SKIP.has('latency') || SKIP.has('tenth') || Number.isNaN(daemonTenthRate) ? null : await latency(brokers, daemonTenthRate, 'daemon');
  // Both cores (issue 17): the same end-to-end run with the forecasts produced on the pipeline's thread.
  producerThread = !THREADED;
  note(`end to end, producer ${producerThread ? 'on a worker thread' : 'inline'}`);
  const e2eOther = SKIP.has('e2e') || SKIP.has('inline') ? NaN : await endToEnd(brokers, topic, 'pipeline');
  producerThread = THREADED;
  note('scale-out: three daemons, one SIGKILLed');
  const takeover = SKIP.has('takeover')
    ? null
    : await takeoverRecovery(brokers, {
        streams: 240,
        rate: flag('takeover-rate', 1_200),
        beforeKillSec: 6,
        maxRecoverySec: 40,
        note,
      }).catch((err: unknown) => {
        // The other figures still count (the daemons run from the working tree, which may not start).
        note(`take-over run failed: ${(err as Error).message.slice(0, 300)}`);
        return null;
      });
  // Per client library (connection.client): the default is the faster one by these figures.
  const clients =
    SKIP.has('clients') || !needsTopic
      ? null
      : await clientFigures({
          brokers,
          topic,
          events: EVENTS,
          streams: STREAMS,
          partitions: PARTITIONS,
          stepMs: STEP_MS,
          t0: T0,
          note,
          endToEnd: (client) => endToEnd(brokers, topic, 'pipeline', client),
          ...(SKIP.has('daemon') ? {} : { daemonPath }),
        });
  const result = {
    endToEndEventsPerSec: Math.round(e2e),
    rawConsumeEventsPerSec: Math.round(raw),
    rawProduceEventsPerSec: Math.round(produce),
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    connectorOnlyEventsPerSec: Math.round(connector),
    /** End to end through the daemon's PipelineRuntime (RxJS pipeline, src/pipeline) on the same topic. */
    endToEndDaemonEventsPerSec: Math.round(daemon),
    /** RxJS daemon path / direct loop (endToEndEventsPerSec): what the daemon's composition costs or gains. */
    rxjsVsDirect: Math.round((1_000 * daemon) / e2e) / 1_000,
    /** Latency through the daemon's PipelineRuntime at half and a tenth of its own maximum (ms). */
    daemonLatencyRateEventsPerSec: Math.round(daemonLatency?.rate ?? NaN),
    daemonP50Ms: daemonLatency?.p50Ms ?? NaN,
    daemonP99Ms: daemonLatency?.p99Ms ?? NaN,
    daemonP50MsAtTenth: daemonTenth?.p50Ms ?? NaN,
    daemonP99MsAtTenth: daemonTenth?.p99Ms ?? NaN,
    latencyRateEventsPerSec: Math.round(lat.rate),
    p99MsAtTenth: tenth?.p99Ms ?? NaN,
    p50MsAtTenth: tenth?.p50Ms ?? NaN,
    latencyRateAtTenthEventsPerSec: Math.round(tenth?.rate ?? NaN),
    /** Per-stage waits per batch at half rate (ms: p50, p99, max): where an event waits. */
    latencyStages: 'stages' in lat ? lat.stages : null,
    /** End to end with the producer on a worker thread and inline (THREADED picks which one is endToEnd). */
    endToEndProducerThreadEventsPerSec: Math.round(THREADED ? e2e : e2eOther),
    endToEndInlineProducerEventsPerSec: Math.round(THREADED ? e2eOther : e2e),
    takeoverRecoverySec: takeover?.takeoverRecoverySec ?? NaN,
    takeover,
    clients,
  };
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const pct = (x: number) => `${((100 * x) / raw).toFixed(0)}%`;
    console.table({
      'raw kafkajs consume': { 'events/s': result.rawConsumeEventsPerSec, 'vs raw': '100%', 'p50 ms': '', 'p99 ms': '' },
      [`raw kafkajs produce, forecast records (ceiling = min(rawProduce, rawConsume)/rawConsume = ${pct(Math.min(produce, raw))})`]: {
        'events/s': result.rawProduceEventsPerSec,
        'vs raw': pct(produce),
        'p50 ms': '',
        'p99 ms': '',
      },
      'connector path, no engine (1 instance)': {
        'events/s': result.connectorOnlyEventsPerSec,
        'vs raw': pct(connector),
        'p50 ms': '',
        'p99 ms': '',
      },
      'end to end, daemon pipeline + LSTM (1 instance)': {
        'events/s': result.endToEndEventsPerSec,
        'vs raw': pct(e2e),
        'p50 ms': '',
        'p99 ms': '',
      },
      [`end to end, daemon PipelineRuntime (RxJS pipeline) = ${result.rxjsVsDirect} x direct`]: {
        'events/s': result.endToEndDaemonEventsPerSec,
        'vs raw': pct(daemon),
        'p50 ms': '',
        'p99 ms': '',
      },
      [`latency at ${result.latencyRateEventsPerSec}/s, step ${lat.stepMs} ms (${lat.forecasts} forecasts)`]: {
        'events/s': result.latencyRateEventsPerSec,
        'vs raw': '',
        'p50 ms': result.p50Ms,
        'p99 ms': result.p99Ms,
      },
    });
    if (clients !== null) console.table(clients);
    console.log(
      `ceiling = min(rawProduce, rawConsume)/rawConsume = ${(100 * ceiling).toFixed(0)}%: one forecast record per event through kafkajs allows at most that much of raw end to end`,
    );
    console.log(
      `target: end to end >= 35% of raw (${e2e >= 0.35 * raw ? 'met' : 'NOT met'}), p50 < 10 ms and p99 < 50 ms at half rate (${lat.p50Ms < 10 && lat.p99Ms < 50 ? 'met' : 'NOT met'}), p99 < 20 ms at a tenth (${(tenth?.p99Ms ?? NaN) < 20 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `latency at a tenth (${result.latencyRateAtTenthEventsPerSec}/s): p50 ${result.p50MsAtTenth} ms, p99 ${result.p99MsAtTenth} ms (target < 20 ms)`,
    );
    console.log(
      `daemon PipelineRuntime latency: half its maximum (${result.daemonLatencyRateEventsPerSec}/s) p50 ${result.daemonP50Ms} ms, p99 ${result.daemonP99Ms} ms; tenth p50 ${result.daemonP50MsAtTenth} ms, p99 ${result.daemonP99MsAtTenth} ms`,
    );
    console.log(`where an event waits at half rate (ms per batch): ${JSON.stringify(result.latencyStages)}`);
    console.log(
      `end to end, producer on a worker thread ${result.endToEndProducerThreadEventsPerSec}/s, inline ${result.endToEndInlineProducerEventsPerSec}/s`,
    );
    if (takeover !== null)
      console.log(
        `scale-out: 3 instances, ${takeover.partitions} partitions, ${takeover.inputRate}/s; one SIGKILLed (${takeover.victimPartitions} partitions): throughput back to 90% after ${takeover.takeoverRecoverySec} s (lowest 1-s rate ${takeover.dipShare} of input)`,
      );
  }
} finally {
  await broker?.stop();
}
process.exit(0);

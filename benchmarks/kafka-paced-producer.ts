import { Kafka, logLevel } from 'kafkajs';

// Child process of the Kafka benchmark's latency run. It produces the input at a steady rate and consumes
// the forecasts topic, so that both ends of the latency are seen on one clock, away from the event loop
// that is measured. argv[2]: the job as JSON; prints {"sent","forecasts","p50Ms","p99Ms","maxMs"} when done.
//
// Stream s's k-th event has event time T0 + k·step + s·step/streams (inside step k) and is produced at
// that wall-clock time: every stream sends once per step, the streams staggered over the step. The
// pipeline forecasts step k when the stream's next event (step k+1) arrives, so a forecast's latency is
// the time from producing that event to the forecast record being read from the forecasts topic.

interface Job {
  readonly brokers: string;
  readonly topic: string;
  readonly forecastsTopic: string;
  readonly streams: number;
  readonly stepMs: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const kafka = new Kafka({ brokers: job.brokers.split(','), clientId: 'bench-paced', logLevel: logLevel.NOTHING });
const { streams, stepMs } = job;
const total = Math.floor((job.seconds * 1_000 * streams) / stepMs);
/** performance.now() when event i (= k·streams + s) was handed to the producer; NaN before. */
const sentAt = new Float64Array(total).fill(NaN);
const latencies = new Float64Array(total);
let seen = 0;
let expected = Infinity;
let onSeen: () => void = () => {};
const t0 = Math.ceil((Date.now() + 1_000) / stepMs) * stepMs;
const warmupSteps = Math.ceil((job.warmupSeconds * 1_000) / stepMs);
const clockOffset = Date.now() - performance.now(); // wall clock = performance.now() + offset

const consumer = kafka.consumer({ groupId: `bench-latency-${process.pid}`, maxWaitTimeInMs: 20 });
await consumer.connect();
await consumer.subscribe({ topics: [job.forecastsTopic], fromBeginning: true });
const joined = new Promise<void>((res) => consumer.on(consumer.events.GROUP_JOIN, () => res()));
void consumer.run({
  eachBatch: async ({ batch }) => {
    const now = performance.now();
    for (const m of batch.messages) {
      if (m.value === null) continue;
      const f = JSON.parse(m.value.toString('utf8')) as { stream: string; t: number };
      const s = Number(f.stream.slice(f.stream.lastIndexOf('/') + 2));
      const k = Math.round((f.t - t0) / stepMs);
      const trigger = (k + 1) * streams + s;
      if (k < warmupSteps || trigger >= total || Number.isNaN(sentAt[trigger])) continue;
      latencies[seen++] = now - sentAt[trigger];
    }
    if (seen >= expected) onSeen();
  },
});
await joined;

// Events go out in 5 ms rounds (fewer, larger requests); each is timed from when it was actually sent.
const TICK_MS = 5;
const producer = kafka.producer();
await producer.connect();
const pending: Promise<unknown>[] = [];
let sent = 0;
while (sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() + clockOffset - t0) * streams) / stepMs) + 1);
  if (due > sent) {
    const messages = [];
    const now = performance.now();
    for (; sent < due; sent++) {
      const k = Math.floor(sent / streams);
      const s = sent % streams;
      const t = t0 + k * stepMs + Math.floor((s * stepMs) / streams);
      messages.push({ key: `s${s}`, value: `{"stream":"s${s}","t":${t},"v":${(Math.sin(k / 10 + s) * 10).toFixed(3)}}` });
      sentAt[sent] = now;
    }
    pending.push(producer.send({ topic: job.topic, messages, acks: 1 }));
  }
  await new Promise((r) => setTimeout(r, TICK_MS));
}
await Promise.all(pending);
// Steps warmupSteps .. K-2 of every stream are measured (step K-1 is never closed): their forecasts.
expected = total - (warmupSteps + 1) * streams;
if (seen < expected) await Promise.race([new Promise<void>((r) => (onSeen = r)), new Promise((r) => setTimeout(r, 15_000))]);
await Promise.all([producer.disconnect(), consumer.disconnect()]);
const s = latencies.subarray(0, seen).sort();
const at = (q: number) => Math.round(10 * s[Math.floor(q * (seen - 1))]) / 10;
process.stdout.write(`${JSON.stringify({ sent, forecasts: seen, expected, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) })}\n`);

import { Kafka, logLevel } from 'kafkajs';

// Child process of the Kafka benchmark: produces `rate` events per second for `seconds`, each stamped with
// its send time (field t, epoch ms), so that the pipeline measures produce-to-forecast latency. A process of
// its own keeps the producer's work off the event loop that is being measured. argv[2]: the job as JSON;
// prints {"sent": n} when done.

interface Job {
  readonly brokers: string;
  readonly topic: string;
  readonly rate: number;
  readonly seconds: number;
  readonly streams: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const producer = new Kafka({ brokers: job.brokers.split(','), clientId: 'bench-paced', logLevel: logLevel.NOTHING }).producer();
await producer.connect();
const tickMs = 5;
const start = Date.now();
let sent = 0;
let stream = 0;
const pending: Promise<unknown>[] = [];
while (Date.now() - start < job.seconds * 1_000) {
  const due = Math.floor(((Date.now() - start) / 1_000) * job.rate);
  if (due > sent) {
    const now = Date.now();
    const messages = [];
    for (; sent < due; sent++) {
      messages.push({ key: `bench/s${stream}/v`, value: `{"t":${now},"v":${(sent % 97) / 10}}` });
      stream = (stream + 1) % job.streams;
    }
    pending.push(producer.send({ topic: job.topic, messages, acks: 1 }));
  }
  await new Promise((r) => setTimeout(r, tickMs));
}
await Promise.all(pending);
await producer.disconnect();
process.stdout.write(`${JSON.stringify({ sent })}\n`);

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePipelineText } from '../../src/config/load-pipeline.js';
import { PipelineEngine } from '../../src/engine/pipeline-engine.js';
import { writeModelFile } from '../../src/engine/model-file.js';
import type { Daemon } from '../e2e/daemon-harness.js';
import { type TestMessage, uniqueTopic } from './kafka-topics.js';
import { currentKafkaClient } from './kafka-clients.js';

// `tidecast run` on Kafka in tests: a pipeline file with a Kafka source (and its changelog) and a Kafka sink,
// a small LSTM whose head is not zero (so forecasts depend on the recurrent state, not only on the last
// value), input messages, and what the daemons' logs say about partitions.

export const PIPELINE = 'kafka-daemon';
export const STEP_MS = 1_000;
const T0 = 1_700_000_000_000;

export interface DaemonPipelineOptions {
  readonly brokers: string;
  readonly input: string;
  readonly forecasts: string;
  readonly deadLetters: string;
  readonly group: string;
  readonly changelog: string;
  /** Checkpoint directory (one per daemon process). */
  readonly stateDir: string;
  readonly modelDir: string;
  /** Offsets commit this often; a long interval leaves acked records uncommitted, so a take-over redelivers them. */
  readonly commitIntervalMs?: number;
}

export function pipelineSpec(o: DaemonPipelineOptions): Record<string, unknown> {
  const connection = {
    brokers: o.brokers.split(','),
    client: currentKafkaClient(),
    client_id: 'tidecast-daemon-test',
    retry: { retries: 5, initial_retry_ms: 100, max_retry_ms: 2_000 },
  };
  return {
    name: PIPELINE,
    step_ms: STEP_MS,
    fields: [{ name: 'v' }],
    input: { json: { stream_keys: ['stream'], time_key: 't' } },
    sources: [
      {
        kind: 'kafka',
        connection,
        topics: [o.input],
        group_id: o.group,
        format: 'json',
        changelog: o.changelog,
        // Small batches and quick group moves: a take-over happens within seconds.
        max_batch_records: 20,
        max_in_flight: 200,
        session_timeout_ms: 6_000,
        heartbeat_interval_ms: 500,
        commit_interval_ms: o.commitIntervalMs ?? 50,
      },
    ],
    sinks: [{ kind: 'kafka', connection, forecasts_topic: o.forecasts, dead_letter_topic: o.deadLetters }],
    model: { cell: 'lstm', units: 8, horizon: 3, path: o.modelDir },
    training: { offline: { enabled: false } },
    state: { dir: o.stateDir, checkpoint_interval_ms: 60_000 },
  };
}

/** Writes the pipeline file (JSON is YAML) and returns its path. */
export async function writePipelineFile(dir: string, name: string, o: DaemonPipelineOptions): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, JSON.stringify(pipelineSpec(o), null, 2));
  return file;
}

/** A seeded LSTM for the pipeline with a small random head (the seeded init's head is zero: a persistence forecast). */
export async function writeTestModel(o: DaemonPipelineOptions): Promise<void> {
  const parsed = parsePipelineText(JSON.stringify(pipelineSpec(o)), 'model.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const engine = new PipelineEngine(parsed.value.pipelines[0]);
  const model = engine.runner.model;
  let x = 7;
  for (const p of [model.headKernel, model.headBias]) {
    for (let i = 0; i < p.data.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      p.data[i] = (x / 2 ** 32 - 0.5) * 0.4;
    }
  }
  await mkdir(o.modelDir, { recursive: true });
  await writeModelFile(o.modelDir, engine.runner);
}

/**
 * `perStream` steps of `streams` streams, step by step (every stream at a time before the next time); stream s
 * on partition s mod `partitions`, so that every partition has streams.
 */
export function daemonInput(streams: number, perStream: number, partitions: number): TestMessage[] {
  const out: TestMessage[] = [];
  for (let i = 0; i < perStream; i++) {
    for (let s = 0; s < streams; s++) {
      const v = 10 * (s + 1) + 5 * Math.sin((i + s) / 6) + 0.5 * Math.cos(i * 1.7 + s);
      out.push({
        key: `s${s}`,
        partition: s % partitions,
        value: JSON.stringify({ stream: `s${s}`, t: T0 + i * STEP_MS, v: Math.round(v * 1e4) / 1e4 }),
      });
    }
  }
  return out;
}

/** Messages the daemon must dead-letter, with the code it must give. */
export const MALFORMED: readonly { readonly message: TestMessage; readonly code: string }[] = [
  { message: { key: 's0', partition: 0, value: '{"stream": "s0", "t": ' }, code: 'parse_error' },
  { message: { key: 's1', partition: 1, value: '{"stream": "s1", "v": 3}' }, code: 'schema_mismatch' },
  { message: { key: 's2', partition: 2, value: '{"stream": "s2", "t": 1700000000000, "v": 1, "w": 2}' }, code: 'schema_mismatch' },
];

/** The partitions of the latest assignment the daemon logged (undefined before its first). */
export function assignedPartitions(d: Daemon): number[] | undefined {
  const last = d.lines.filter((l) => l.msg === 'Kafka partitions assigned.').at(-1) as { assigned: { partitions: number[] }[] } | undefined;
  return last?.assigned.flatMap((a) => a.partitions).sort((a, b) => a - b);
}

/** Changelog records the daemon restored, per restore it logged. */
export function restores(d: Daemon): { partitions: number[]; records: number }[] {
  return d.lines
    .filter((l) => l.msg === 'Partition state restored.')
    .map((l) => ({ partitions: l.partitions as number[], records: l.records as number }));
}

/**
 * One daemon's settings in a test run: its own forecasts, dead-letter and changelog topics, group and
 * state directory (named `prefix-name`), over the run's shared input topic and model directory.
 */
export function runOptions(brokers: string, input: string, dir: string, prefix: string, name: string): DaemonPipelineOptions {
  return {
    brokers,
    input,
    forecasts: uniqueTopic(`${prefix}-${name}-out`),
    deadLetters: uniqueTopic(`${prefix}-${name}-dlq`),
    group: uniqueTopic(`${prefix}-${name}`),
    changelog: uniqueTopic(`${prefix}-${name}-changelog`),
    stateDir: join(dir, name),
    modelDir: join(dir, 'model'),
  };
}

/**
 * After a test: prints the log lines `shown` keeps of every daemon when the test failed, then
 * SIGKILLs the ones still running and waits for all of them to exit (the list is emptied).
 */
export async function stopDaemons(daemons: Daemon[], failed: boolean, shown: (line: Record<string, unknown>) => boolean): Promise<void> {
  if (failed)
    for (const d of daemons)
      console.error(
        `daemon ${d.child.pid}:\n${d.lines
          .filter(shown)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
  for (const d of daemons.splice(0)) {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await d.exited;
  }
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { formatIssue } from '../../src/config/config-issue.js';
import { parsePipelineText } from '../../src/config/load-pipeline.js';
import { ModelRegistry } from '../../src/retraining/model-registry.js';
import { followModelsTopic, modelsTopicFor } from '../../connectors/kafka/models-topic.js';
import { Retrainer } from '../../src/retraining/retrainer.js';
import { LiveLoop, testRunner, testSettings, wave } from '../../src/retraining/testing-live.js';
import { flattenParams } from '../../src/retraining/train-job.js';
import { InlineTrainer } from '../../src/retraining/worker-trainer.js';
import { KafkaModelsTopic } from '../../connectors/kafka/changelog/changelog-models.js';
import { uniqueTopic, waitFor } from '../helpers/kafka-topics.js';

// Two instances of one pipeline share state.models_topic: the one that retrains and promotes
// publishes the version, the other adopts it (same version, identical weights, states re-warmed)
// and ignores what it has already; a malformed version changes nothing.

const brokers = inject('kafkaBrokers');
const KEYS = ['a', 'b', 'c'];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function spec(topic: string) {
  const text = `name: shared
step_ms: 60000
sources:
  - kind: file
    path: data/x.csv
    key_column: stream
sinks:
  - kind: kafka
    connection: { brokers: [${brokers.split(',').join(', ')}], retry: { retries: 5, initial_retry_ms: 100, max_retry_ms: 2000 } }
    forecasts_topic: unused-forecasts
model: { cell: gru, units: 8, horizon: 1 }
state:
  dir: unused
  models_topic: ${topic}
`;
  const r = parsePipelineText(text, 'shared.yaml');
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.value.pipelines[0];
}

async function instance(topicName: string) {
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-models-topic-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const s = spec(topicName);
  const topic = modelsTopicFor(s)!;
  expect(topic).toBeInstanceOf(KafkaModelsTopic);
  closers.push(() => topic.close());
  await topic.ensureTopic();
  const runner = testRunner(8, 1);
  const registry = await ModelRegistry.open(dir, s.name, runner.model.config);
  const retrainer = await Retrainer.create({
    pipeline: s.name,
    live: runner,
    registry,
    trainer: new InlineTrainer(),
    settings: testSettings({ rewarmSteps: 16 }),
    publish: (m) => topic.publish(m),
  });
  closers.push(await followModelsTopic(retrainer, topic));
  return { runner, registry, retrainer, loop: new LiveLoop(runner, KEYS, retrainer), topic };
}

function drive(loop: LiveLoop, n: number, phase = 0): void {
  const v = new Float64Array(KEYS.length);
  for (let k = 0; k < n; k++) {
    for (let s = 0; s < KEYS.length; s++) v[s] = wave(s + phase, k, 24, 0);
    loop.step(v);
  }
}

describe('state.models_topic between instances', () => {
  it('one instance promotes, the other swaps to the same version and weights with re-warm', async () => {
    const topicName = uniqueTopic('models');
    const a = await instance(topicName);
    const b = await instance(topicName);
    drive(a.loop, 300);
    drive(b.loop, 60, 1); // b has its own streams' history to re-warm from
    const initialB = b.runner.version;
    const statesBefore = Float32Array.from(b.runner.arena.data);

    const run = await a.retrainer.run();
    expect(run?.promoted).toBe(true);
    expect(a.retrainer.swapIfPending()).toBe(true);
    const weightsA = flattenParams(a.runner.model);
    expect(a.runner.version).toBe(run!.version);

    await waitFor(() => b.registry.get(run!.version) !== undefined, 20_000, 'b to adopt the promoted version');
    expect(b.runner.version).toBe(initialB); // not yet: only at the next swap point
    expect(b.retrainer.swapIfPending()).toBe(true);
    expect(b.runner.version).toBe(run!.version);
    expect(flattenParams(b.runner.model)).toEqual(weightsA);
    expect(b.registry.get(run!.version)).toMatchObject({ promoted: true, parent: initialB });
    expect(b.registry.list().find((v) => v.version === run!.version)).toBeDefined();
    expect(Array.from(b.runner.arena.data)).not.toEqual(Array.from(statesBefore)); // re-warmed under the new weights
    await expect(b.registry.loadWeights(run!.version)).resolves.toEqual(weightsA);

    // a saw its own version come back and ignored it; a re-publication and a malformed one change nothing in b.
    const aVersions = a.registry.list().length;
    await a.topic.publish({ name: 'shared', version: run!.version, bytes: new Uint8Array(weightsA.buffer.slice(0)) });
    await a.topic.publish({ name: 'shared', version: 'v9999-bad', bytes: new Uint8Array(12) });
    await a.topic.publish({ name: 'other-pipeline', version: 'v9998-other', bytes: new Uint8Array(weightsA.buffer.slice(0)) });
    const marker = 'v9997-marker';
    await a.topic.publish({ name: 'shared', version: marker, bytes: new Uint8Array(weightsA.buffer.slice(0)) });
    await waitFor(() => b.registry.get(marker) !== undefined, 20_000, 'b to reach the marker version');
    expect(b.registry.get('v9999-bad')).toBeUndefined();
    expect(b.registry.get('v9998-other')).toBeUndefined();
    expect(b.registry.list().filter((v) => v.version === run!.version)).toHaveLength(1);
    expect(a.registry.list().length).toBe(aVersions + 1); // only the marker, which a had not got
  });
});

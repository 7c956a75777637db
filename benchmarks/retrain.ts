// Background retraining: inference step latency (one batched step of all streams) with no training
// and while a training run is in the worker thread; the run's duration; the re-warm pause at a swap.
// `-- --json` prints one JSON object. Run alone: the machine is shared and the numbers are per core.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistry } from '../src/retraining/model-registry.js';
import { Retrainer } from '../src/retraining/retrainer.js';
import { rewarmRows, rewarmStates, warmStates } from '../src/retraining/rewarm.js';
import { LiveLoop, testRunner, testSettings, wave } from '../src/retraining/testing-live.js';
import { WorkerTrainer } from '../src/retraining/worker-trainer.js';

const json = process.argv.includes('--json');
const STREAMS = 256,
  UNITS = 32,
  TRAIN_MS = 4000;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const dir = await mkdtemp(join(tmpdir(), 'tidecast-bench-retrain-'));
const keys = Array.from({ length: STREAMS }, (_, i) => `s${i}`);
const runner = testRunner(UNITS);
const registry = await ModelRegistry.open(dir, 'bench', runner.model.config);
const trainer = new WorkerTrainer();
const settings = testSettings({
  bufferStreams: STREAMS,
  windowStreams: 64,
  train: { ...testSettings().train, maxEpochs: 100_000, patience: 100_000, maxTimeMs: TRAIN_MS },
});
const retrainer = await Retrainer.create({ pipeline: 'bench', live: runner, registry, trainer, settings });
const loop = new LiveLoop(runner, keys, retrainer);
const v = new Float64Array(STREAMS);
let k = 0;
const step = (): number => {
  for (let s = 0; s < STREAMS; s++) v[s] = wave(s, k, 24, 0);
  k++;
  const t0 = performance.now();
  loop.step(v);
  return performance.now() - t0;
};
for (let i = 0; i < 500; i++) step();
const idle: number[] = [];
const tIdle = performance.now();
while (performance.now() - tIdle < TRAIN_MS) {
  for (let i = 0; i < 20; i++) idle.push(step());
  await new Promise((r) => setImmediate(r));
}
const during: number[] = [];
let done = false;
const run = retrainer.run().finally(() => {
  done = true;
});
while (!done) {
  for (let i = 0; i < 20; i++) during.push(step());
  await new Promise((r) => setImmediate(r));
}
const result = await run;
// The swap pause: the worker's seed (computed off-thread) caught up over 5 steps made since, vs a
// full re-warm of the last W steps on the inference thread (the fallback for streams far behind).
const W = settings.rewarmSteps;
const newModel = runner.model.clone();
const rows = rewarmRows(retrainer.buffer, W);
const seed = { keys: rows.keys, counts: rows.counts, states: warmStates(newModel, rows.keys.length, W, rows.inputs, rows.steps) };
for (let i = 0; i < 5; i++) step();
let t0 = performance.now();
const seeded = rewarmStates(newModel, retrainer.buffer, runner.arena, W, seed);
const seededMs = performance.now() - t0;
t0 = performance.now();
const rw = rewarmStates(newModel, retrainer.buffer, runner.arena, W);
const rewarmMs = performance.now() - t0;
await retrainer.close();
await rm(dir, { recursive: true, force: true });

const out = {
  streams: STREAMS,
  units: UNITS,
  cell: 'gru',
  idle: { steps: idle.length, p50Ms: quantile(idle, 0.5), p99Ms: quantile(idle, 0.99) },
  training: { steps: during.length, p50Ms: quantile(during, 0.5), p99Ms: quantile(during, 0.99) },
  p99Ratio: quantile(during, 0.99) / quantile(idle, 0.99),
  workerNiced: trainer.niced,
  run: { seconds: result?.seconds, epochs: result?.epochs, windowStreams: result?.streams, windowSteps: result?.steps },
  swapPause: { streams: seeded.streams, catchUpSteps: seeded.rounds, ms: seededMs },
  fullRewarmOnMain: { streams: rw.streams, steps: rw.rounds, ms: rewarmMs },
};
if (json) {
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  console.table({
    'no training': { steps: out.idle.steps, 'p50 ms': out.idle.p50Ms.toFixed(3), 'p99 ms': out.idle.p99Ms.toFixed(3) },
    'training in worker': { steps: out.training.steps, 'p50 ms': out.training.p50Ms.toFixed(3), 'p99 ms': out.training.p99Ms.toFixed(3) },
  });
  console.log(`p99 ratio ${out.p99Ratio.toFixed(2)} (target ≤ 2), worker niced: ${out.workerNiced}`);
  console.log(
    `training run: ${out.run.seconds?.toFixed(2)} s, ${out.run.epochs} epochs on ${out.run.windowStreams}×${out.run.windowSteps}`,
  );
  console.log(`swap pause (worker seed + catch-up of ${seeded.rounds} steps, ${seeded.streams} streams): ${seededMs.toFixed(1)} ms`);
  console.log(`full re-warm on the inference thread (${rw.streams} streams × ${rw.rounds} steps, fallback): ${rewarmMs.toFixed(1)} ms`);
}

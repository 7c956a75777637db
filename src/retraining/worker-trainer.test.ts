import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from './model-registry.js';
import { Retrainer } from './retrainer.js';
import { LiveLoop, testRunner, testSettings, wave } from './testing-live.js';
import { runTrainJob } from './train-job.js';
import { WorkerTrainer } from './worker-trainer.js';

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))];
}

describe('WorkerTrainer', () => {
  it('trains off the inference thread: step latency p99 during a run stays near its value without (generous bound for a loaded CI machine)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-worker-'));
    const keys = Array.from({ length: 64 }, (_, i) => `s${i}`);
    const runner = testRunner(32);
    const registry = await ModelRegistry.open(dir, 'p99', runner.model.config);
    const trainer = new WorkerTrainer();
    const settings = testSettings({
      windowStreams: 64,
      train: { ...testSettings().train, maxEpochs: 10_000, patience: 10_000, maxTimeMs: 1_500 },
    });
    const retrainer = await Retrainer.create({ pipeline: 'p99', live: runner, registry, trainer, settings });
    const loop = new LiveLoop(runner, keys, retrainer);
    const v = new Float64Array(keys.length);
    const stepTimed = (k: number): number => {
      for (let s = 0; s < keys.length; s++) v[s] = wave(s, k, 24, 0);
      const t0 = performance.now();
      loop.step(v);
      return performance.now() - t0;
    };
    for (let k = 0; k < 300; k++) stepTimed(k);
    const idle: number[] = [];
    for (let k = 300; k < 1300; k++) idle.push(stepTimed(k));
    const during: number[] = [];
    let done = false;
    const run = retrainer.run().finally(() => {
      done = true;
    });
    let k = 1300;
    // Step while the worker trains; yield now and then so its reply can arrive.
    while (!done) {
      for (let i = 0; i < 20; i++) during.push(stepTimed(k++));
      await new Promise((r) => setImmediate(r));
    }
    const result = await run;
    await retrainer.close();
    await rm(dir, { recursive: true, force: true });
    expect(result).toBeDefined();
    expect(result!.seconds).toBeGreaterThan(1);
    expect(during.length).toBeGreaterThan(200);
    // Training inline would stall one step for the whole run (> 1 s); other test files share the two
    // cores, so the bound is generous here and precise in `npm run bench:retrain`.
    expect(p99(during)).toBeLessThan(4 * p99(idle) + 5);
    // reduce, not Math.max(...during): with the native step the loop runs 100k+ steps per run.
    expect(during.reduce((m, x) => Math.max(m, x), 0)).toBeLessThan((result!.seconds * 1000) / 2);
  });

  it('returns the same weights as the inline run, transferred back', async () => {
    const runner = testRunner(4);
    const N = 40,
      B = 2;
    const inputs = new Float32Array(N * B).map((_, i) => Math.sin(i / 3));
    const targets = new Float32Array(N * B).map((_, i) => Math.sin((i + B) / 3) - Math.sin(i / 3));
    const settings = { ...testSettings().train, maxEpochs: 3 };
    const champion = new Float32Array(runner.model.params().reduce((n, p) => n + p.data.length, 0));
    let o = 0;
    for (const p of runner.model.params()) {
      champion.set(p.data, o);
      o += p.data.length;
    }
    const req = () => ({
      jobId: 'j',
      config: runner.model.config,
      champion: champion.slice(),
      steps: N,
      batch: B,
      inputs: inputs.slice(),
      targets: targets.slice(),
      settings,
      seed: 3,
    });
    const inline = runTrainJob(req());
    const trainer = new WorkerTrainer();
    const sent = req();
    const viaWorker = await trainer.train(sent);
    await trainer.close();
    expect(sent.inputs.byteLength).toBe(0); // transferred, not copied
    expect(viaWorker.weights).toEqual(inline.weights);
    expect(viaWorker.validationLoss).toBe(inline.validationLoss);
    expect(viaWorker.championLoss).toBe(inline.championLoss);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from './model-registry.js';
import { decide, Retrainer } from './retrainer.js';
import { LiveLoop, testRunner, testSettings, wave } from './testing-live.js';
import { flattenParams } from './train-job.js';
import { InlineTrainer } from './worker-trainer.js';
import { Prng } from '../training/prng.js';
import type { ModelRunner } from '../engine/model-runner.js';
import type { RetrainSettings } from './retrainer.js';

const KEYS = ['a', 'b', 'c', 'd'];
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(settings: RetrainSettings = testSettings(), runner: ModelRunner = testRunner(), dir?: string) {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'tidecast-retrain-')));
  if (dir === undefined) dirs.push(d);
  const registry = await ModelRegistry.open(d, 'test', runner.model.config);
  const retrainer = await Retrainer.create({ pipeline: 'test', live: runner, registry, trainer: new InlineTrainer(), settings });
  return { dir: d, registry, retrainer, runner, loop: new LiveLoop(runner, KEYS, retrainer) };
}

/** Steps `loop` over `n` steps of the regime, returning the one-step MSE over those steps. */
function drive(loop: LiveLoop, from: number, n: number, period: number, level: number): number {
  const f = new Float64Array(KEYS.length);
  const v = new Float64Array(KEYS.length);
  let prev: Float64Array | undefined;
  let se = 0,
    count = 0;
  for (let k = from; k < from + n; k++) {
    for (let s = 0; s < KEYS.length; s++) v[s] = wave(s, k, period, level);
    if (prev !== undefined)
      for (let s = 0; s < KEYS.length; s++) {
        se += (v[s] - prev[s]) ** 2;
        count++;
      }
    loop.step(v, f);
    prev = f.slice();
  }
  return se / count;
}

describe('Retrainer', () => {
  it('learns a regime shift: the retrained model beats the bound and the frozen model on the new regime', async () => {
    const { retrainer, loop, runner } = await setup();
    drive(loop, 0, 300, 24, 0);
    const first = await retrainer.run();
    expect(first?.promoted).toBe(true);
    expect(retrainer.swapIfPending()).toBe(true);
    // The regime changes: shorter period, higher level. A frozen copy of the model runs beside it.
    const frozen = runner.model.clone();
    const frozenRunner = testRunner();
    frozenRunner.swap(frozen, 'frozen');
    const frozenLoop = new LiveLoop(frozenRunner, KEYS);
    drive(frozenLoop, 0, 300, 24, 0);
    drive(loop, 300, 300, 9, 1.5);
    drive(frozenLoop, 300, 300, 9, 1.5);
    const second = await retrainer.run('drift');
    expect(second?.promoted).toBe(true);
    expect(retrainer.swapIfPending()).toBe(true);
    const retrainedMse = drive(loop, 600, 200, 9, 1.5);
    const frozenMse = drive(frozenLoop, 600, 200, 9, 1.5);
    // Persistence on this wave has MSE 2·(1 - cos(2π/9)) ≈ 0.47; the bound is a tenth of it.
    expect(retrainedMse).toBeLessThan(0.05);
    expect(retrainedMse).toBeLessThan(frozenMse / 2);
    expect(runner.version).toBe(second?.version);
  });

  it('rejects a challenger trained on corrupted data; the champion stays live', async () => {
    // No warm start: the challenger is whatever the corrupted data teaches a fresh model.
    const { retrainer, loop, runner, registry } = await setup(testSettings({ train: { ...testSettings().train, warmStart: false } }));
    drive(loop, 0, 300, 24, 0);
    await retrainer.run();
    retrainer.swapIfPending();
    const champion = runner.version;
    const weights = flattenParams(runner.model);
    // A sensor goes mad for 180 steps (noise with large spikes), then recovers for the last 64.
    const rng = new Prng(7);
    const v = new Float64Array(KEYS.length);
    for (let k = 300; k < 480; k++) {
      for (let s = 0; s < KEYS.length; s++) v[s] = rng.normal() * 3;
      loop.step(v);
    }
    drive(loop, 480, 64, 24, 0);
    const run = await retrainer.run();
    expect(run?.promoted).toBe(false);
    expect(run!.validationLoss).toBeGreaterThan(run!.championLoss * (1 - 0.05));
    expect(retrainer.swapIfPending()).toBe(false);
    expect(runner.version).toBe(champion);
    expect(flattenParams(runner.model)).toEqual(weights);
    expect(registry.live()).toBe(champion);
    expect(registry.get(run!.version)?.promoted).toBe(false);
  });

  it('re-warms states at a swap so forecasts do not jump; without re-warm they do', async () => {
    const jump = async (rewarmSteps: number) => {
      const settings = testSettings({ rewarmSteps, train: { ...testSettings().train, warmStart: false } });
      const { retrainer, loop, runner } = await setup(settings, testRunner(8, 1));
      drive(loop, 0, 200, 24, 0);
      await retrainer.run();
      drive(loop, 200, 40, 24, 0);
      // Reference: the new weights run over each stream's whole history (a fully warmed state).
      const before = runner.model;
      expect(retrainer.swapIfPending()).toBe(true);
      expect(runner.model).not.toBe(before);
      const ref = testRunner();
      ref.swap(runner.model.clone(), 'ref');
      const refLoop = new LiveLoop(ref, KEYS);
      drive(refLoop, 0, 240, 24, 0);
      const f = new Float64Array(KEYS.length),
        g = new Float64Array(KEYS.length);
      const v = KEYS.map((_, s) => wave(s, 240, 24, 0));
      loop.step(v, f);
      refLoop.step(v, g);
      return Math.max(...KEYS.map((_, s) => Math.abs(f[s] - g[s])));
    };
    const withRewarm = await jump(48);
    const without = await jump(0);
    expect(withRewarm).toBeLessThan(0.02);
    expect(without).toBeGreaterThan(5 * withRewarm);
    expect(without).toBeGreaterThan(0.05);
  });

  it('loads the last promoted version on restart, and rolls back', async () => {
    const { retrainer, loop, runner, dir } = await setup();
    drive(loop, 0, 300, 24, 0);
    const run = await retrainer.run();
    retrainer.swapIfPending();
    expect(run?.promoted).toBe(true);
    const weights = flattenParams(runner.model);
    // A fresh process: seeded init weights, then the registry.
    const restarted = testRunner();
    expect(flattenParams(restarted.model)).not.toEqual(weights);
    const again = await setup(testSettings(), restarted, dir);
    expect(restarted.version).toBe(run?.version);
    expect(flattenParams(restarted.model)).toEqual(weights);
    const back = await again.retrainer.rollback();
    expect(back).toBe(again.registry.list()[0].version);
    expect(again.retrainer.swapIfPending()).toBe(true);
    expect(restarted.version).toBe(back);
    expect(flattenParams(restarted.model)).not.toEqual(weights);
  });

  it('publishes promoted versions (Kafka models topic port) and survives a failing trainer', async () => {
    const runner = testRunner();
    const d = await mkdtemp(join(tmpdir(), 'tidecast-retrain-'));
    dirs.push(d);
    const registry = await ModelRegistry.open(d, 'test', runner.model.config);
    const published: { name: string; version: string; bytes: Uint8Array }[] = [];
    const inline = new InlineTrainer();
    let fail = false;
    const trainer = {
      train: (req: Parameters<InlineTrainer['train']>[0]) => (fail ? Promise.reject(new Error('boom')) : inline.train(req)),
      start: (req: Parameters<InlineTrainer['start']>[0]) => inline.start(req),
      close: async () => {},
    };
    const retrainer = await Retrainer.create({
      pipeline: 'test',
      live: runner,
      registry,
      trainer,
      settings: testSettings(),
      publish: async (m) => {
        published.push(m);
      },
    });
    const loop = new LiveLoop(runner, KEYS, retrainer);
    drive(loop, 0, 300, 24, 0);
    const run = await retrainer.run();
    expect(published.map((m) => [m.name, m.version])).toEqual([['test', run?.version]]);
    expect(new Float32Array(published[0].bytes.slice().buffer)).toEqual(await registry.loadWeights(run!.version));
    retrainer.swapIfPending();
    fail = true;
    expect(await retrainer.run()).toBeUndefined();
    expect(runner.version).toBe(run?.version);
    expect(retrainer.busy).toBe(false);
  });

  it('decides with the margin', () => {
    expect(decide(0.9, 1, 0.05).promoted).toBe(true);
    expect(decide(0.96, 1, 0.05).promoted).toBe(false);
    expect(decide(NaN, 1, 0.05).promoted).toBe(false);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSourceConfig } from '../../connectors/file/config.js';
import { PipelineSpec } from '../config/pipeline-schema.js';
import { isAutoStep } from '../operators/step-setting.js';
import { fileSpacingMs, inferStepMs, medianSpacing, resolveAutoStep, roundStep } from './infer-step.js';

// step_ms: auto on irregular data: jittered stamps, missing records and a long outage still give the
// step the data was sampled at.

/** Deterministic uniform in [0, 1) (LCG), so that the test data is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
}

/** Stamps every `step` ms from t0 with ±jitter, ~15 % of records missing and one gap of 40 steps. */
function irregular(step: number, n: number, jitter: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    if (r() < 0.15 || (i > 100 && i < 140)) continue;
    out.push(t0 + i * step + Math.round((2 * r() - 1) * jitter));
  }
  return out;
}

describe('inferring the step from the data', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-step-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the sampling step of jittered series with gaps', () => {
    for (const step of [15_000, 300_000, 1_800_000, 3_600_000, 86_400_000]) {
      const spacing = medianSpacing([irregular(step, 400, 0.2 * step, 1), irregular(step, 400, 0.2 * step, 2)]);
      expect(Math.abs(spacing - step) / step, `step ${step}`).toBeLessThan(0.1);
      expect(roundStep(spacing)).toBe(step);
    }
    // A step that is no round duration is kept to the second.
    expect(roundStep(medianSpacing([irregular(47_000, 400, 3_000, 3)]))).toBe(47_000);
    expect(medianSpacing([[5], [7, 7]])).toBeNaN();
  });

  it('reads a long CSV file per stream and resolves step_ms: auto', async () => {
    const lines = ['stream,timestamp,value'];
    const a = irregular(1_800_000, 300, 240_000, 4);
    const b = irregular(1_800_000, 300, 240_000, 5);
    // Interleaved by time, as a real export: the per-stream differences must not mix the streams.
    const rows = [...a.map((t) => ['a', t] as const), ...b.map((t) => ['b', t] as const)].sort((x, y) => x[1] - y[1]);
    for (const [k, t] of rows) lines.push(`${k},${new Date(t).toISOString()},1`);
    const path = join(dir, 'irregular.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const cfg = FileSourceConfig.parse({ path, key_column: 'stream' });
    expect(Math.abs((await fileSpacingMs(cfg)) - 1_800_000)).toBeLessThan(180_000);
    expect(await inferStepMs(cfg)).toBe(1_800_000);

    const spec = PipelineSpec.parse({
      name: 'p',
      step_ms: 'auto',
      sources: [{ kind: 'file', path, key_column: 'stream' }],
      model: { cell: 'gru', units: 4, horizon: 2 },
      state: { dir: join(dir, 'state') },
    });
    expect(isAutoStep(spec)).toBe(true);
    expect((await resolveAutoStep(spec, [cfg])).step_ms).toBe(1_800_000);
    await expect(resolveAutoStep(spec, [])).rejects.toThrow(/no file source/);
    // The online head's default season depends on the step: with auto it is checked at start, not here.
    const head = PipelineSpec.safeParse({
      name: 'p',
      step_ms: 'auto',
      sources: [{ kind: 'file', path, key_column: 'stream' }],
      model: { cell: 'gru', units: 4, horizon: 4, online_head: { streams: ['a', 'b'] } },
      state: { dir: join(dir, 'state') },
    });
    expect(head.error?.issues ?? []).toEqual([]);
    const fixed = PipelineSpec.parse({
      name: 'p',
      step_ms: '1h',
      sources: [{ kind: 'file', path, key_column: 'stream' }],
      model: { cell: 'gru', units: 4, horizon: 2 },
      state: { dir: join(dir, 'state') },
    });
    expect(await resolveAutoStep(fixed, [cfg])).toBe(fixed);
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Observation } from '../core/types.js';
import { CheckpointWriter, readCheckpoint } from '../state/checkpoint.js';
import type { EngineListener } from './engine-listener.js';
import { PipelineEngine, type EngineSnapshot } from './pipeline-engine.js';

// Idle-stream eviction (limits.evict_idle_steps, limits.max_resident_streams): streams that left
// memory and came back with their next record forecast, score and alert bit-equal to a run where they
// never left; checkpoints hold the evicted streams too (a base all of them, a delta the changed ones).

const STEP = 60_000;
const N = 240;
const STEPS = 70;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-evict-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function spec(name: string, limits: string): PipelineSpec {
  const r = parsePipelineText(
    `name: evict
step_ms: ${STEP}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 4, horizon: 3, seed: 5 }
alerting:
  rules:
    - { name: dev, detector: score, warning: 0.99 }
limits: { max_streams: 100000${limits} }
state: { dir: ${dir}/${name} }
`,
    'evict.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** Stream i sends 30 steps, goes quiet for 15, and so on (each at its own phase), with a spike now and then. */
function active(i: number, t: number): boolean {
  return Math.floor((t + 7 * i) / 15) % 3 !== 2;
}

function recordsAt(t: number): Observation[] {
  const out: Observation[] = [];
  for (let i = 0; i < N; i++) {
    if (!active(i, t)) continue;
    const spike = (t * 7 + i) % 53 === 0 ? 9 : 0;
    out.push({
      key: `s/${i}`,
      eventTime: t * STEP + 1000,
      fields: { value: 10 + 3 * Math.sin(t / 4 + i) + 0.1 * ((t * 31 + i * 17) % 11) + spike },
    });
  }
  return out;
}

/** Everything an engine tells its listener, keyed so that two runs can be compared. */
function recorder(): { out: Map<string, unknown>; listener: EngineListener } {
  const out = new Map<string, unknown>();
  return {
    out,
    listener: {
      forecast: (f) => out.set(`f|${f.key}|${f.t}`, [...f.mean, ...f.lower, ...f.upper]),
      step: (r) => out.set(`s|${r.key}|${r.t}`, [r.actual, r.forecast, r.score]),
      // Keyed by id and state: within a batch, streams come in slot order, which eviction changes.
      alert: (a) => out.set(`a|${a.id}|${a.state}`, JSON.stringify(a)),
    },
  };
}

/** Steps [from, to): one batch per step, then (as the daemon's idle flush and checkpoints do) a watermark pass and a sweep. */
function drive(engines: PipelineEngine[], from: number, to: number, sweep = true): void {
  for (let t = from; t < to; t++) {
    const batch = recordsAt(t);
    for (const e of engines) {
      e.ingest(batch);
      e.advanceWatermark((t + 1) * STEP);
      if (sweep) e.evictIdle();
    }
  }
}

function sortedSnapshot(e: PipelineEngine): EngineSnapshot {
  const s = e.snapshot();
  return { ...s, streams: [...s.streams].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

describe('idle-stream eviction', () => {
  it('evicted streams come back bit-equal: forecasts, scores and alerts as if they never left', () => {
    const ref = recorder();
    const byAge = recorder();
    const byLimit = recorder();
    const never = new PipelineEngine(spec('never', ''), ref.listener);
    const aged = new PipelineEngine(spec('aged', ', evict_idle_steps: 4'), byAge.listener);
    const capped = new PipelineEngine(spec('capped', ', max_resident_streams: 50'), byLimit.listener);
    let peak = 0;
    for (let t = 0; t < STEPS; t += 5) {
      drive([never, aged, capped], t, t + 5);
      peak = Math.max(peak, aged.eviction?.size ?? 0);
      expect(capped.runner.arena.size).toBeLessThanOrEqual(50);
      expect(capped.streamCount).toBe(never.runner.arena.size);
    }
    // Streams really left and came back (and the limit held, so active ones did too).
    expect(peak).toBeGreaterThan(N / 5);
    expect(aged.eviction?.recalls).toBeGreaterThan(N / 5);
    expect(capped.eviction?.recalls).toBeGreaterThan(N);
    expect(ref.out.size).toBeGreaterThan(N * 40);
    expect([...ref.out.keys()].some((k) => k.startsWith('a|'))).toBe(true);
    for (const run of [byAge, byLimit]) {
      expect(run.out.size).toBe(ref.out.size);
      for (const [k, v] of ref.out) expect(run.out.get(k), k).toEqual(v);
    }
  }, 120_000);

  it('checkpoints hold the evicted streams: base and delta restore the never-evicted state', async () => {
    const never = new PipelineEngine(spec('cp-never', ''));
    const s = spec('cp-capped', ', max_resident_streams: 40');
    const capped = new PipelineEngine(s);
    const w = new CheckpointWriter(s);
    drive([never, capped], 0, 20);
    expect(capped.eviction?.size).toBeGreaterThan(N / 2);
    const base = capped.captureStreams(false);
    expect(base.reduce((n, c) => n + c.records, 0)).toBe(N);
    await w.write('base', { sources: {}, model: capped.runner.exportWeights(), layout: capped.streamRecordLayout }, base, new Date(0));
    // A few steps on: streams change, leave and come back; the delta holds those changed, evicted or not.
    drive([never, capped], 20, 24);
    const changed = capped.changedStreams;
    const delta = capped.captureStreams(true);
    expect(delta.reduce((n, c) => n + c.records, 0)).toBe(changed);
    expect(changed).toBeLessThan(N);
    await w.write('delta', { sources: {}, model: capped.runner.exportWeights(), layout: capped.streamRecordLayout }, delta, new Date(0));
    const cp = await readCheckpoint(s);
    if (cp?.meta.layout === undefined) throw new Error('no checkpoint');
    const back = new PipelineEngine(spec('cp-back', ''));
    back.runner.importWeights(cp.meta.model);
    expect(back.restoreCaptured(cp.newestFirst, cp.meta.layout)).toEqual([]);
    expect(sortedSnapshot(back).streams).toEqual(sortedSnapshot(never).streams);
    // The spill file is scratch beside the checkpoints.
    expect(await readdir(s.state.dir)).toContain('evicted-streams.spill');
    capped.eviction?.close();
    expect(await readdir(s.state.dir)).not.toContain('evicted-streams.spill');
  }, 120_000);
});

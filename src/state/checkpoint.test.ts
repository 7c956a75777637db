import { readdir, readFile, rm, writeFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { TidecastError } from '../core/errors.js';
import type { Forecast, Observation } from '../core/types.js';
import { atomicWrite } from './atomic-write.js';
import { checkpointPath, CheckpointWriter, deltaPath, legacyCheckpointPath, readCheckpoint, type CheckpointState } from './checkpoint.js';
import { PipelineEngine, type EngineSnapshot } from '../engine/pipeline-engine.js';
import { PipelineRuntime } from '../runtime/pipeline-runtime.js';
import { createLogger } from '../telemetry/logger.js';

// Binary, incremental checkpoints: a base plus deltas restores the same engine state as a full
// capture; a restart from them forecasts exactly as an uninterrupted run; a damaged file is refused
// with a clear error; a version-1 JSON checkpoint restores once and is replaced by a binary one.

const STEP = 60_000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-cp-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function spec(name: string, units = 4): PipelineSpec {
  const r = parsePipelineText(
    `name: ${name}
step_ms: ${STEP}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: ${units}, horizon: 3, seed: 5 }
alerting:
  rules:
    - { name: dev, detector: score, warning: 0.99 }
state: { dir: ${dir}/${name} }
`,
    'cp.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** Steps [from, to) of `streams` streams; stream i gets its own phase and a spike now and then. */
function records(streams: number, from: number, to: number, only?: (i: number) => boolean): Observation[] {
  const out: Observation[] = [];
  for (let t = from; t < to; t++) {
    for (let i = 0; i < streams; i++) {
      if (only !== undefined && !only(i)) continue;
      const spike = (t * 7 + i) % 53 === 0 ? 9 : 0;
      out.push({
        key: `s/${i}`,
        eventTime: t * STEP,
        fields: { value: 10 + 3 * Math.sin(t / 4 + i) + 0.1 * ((t * 31 + i * 17) % 11) + spike },
      });
    }
  }
  return out;
}

function sortedSnapshot(e: PipelineEngine): EngineSnapshot {
  const s = e.snapshot();
  return { ...s, streams: [...s.streams].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

function state(e: PipelineEngine, sources: Record<string, number> = {}): CheckpointState {
  return { sources, model: e.runner.exportWeights(), layout: e.streamRecordLayout };
}

async function write(w: CheckpointWriter, e: PipelineEngine, kind?: 'base' | 'delta'): Promise<{ kind: string; streams: number }> {
  const k = kind ?? w.plan(e.changedStreams, e.runner.arena.size);
  const chunks = e.captureStreams(k === 'delta');
  await w.write(k, state(e), chunks, new Date(0));
  return { kind: k, streams: chunks.reduce((n, c) => n + c.records, 0) };
}

async function restored(s: PipelineSpec, listener = {}): Promise<PipelineEngine> {
  const cp = await readCheckpoint(s);
  if (cp?.meta.layout === undefined) throw new Error('no binary checkpoint');
  const e = new PipelineEngine(s, listener);
  e.runner.importWeights(cp.meta.model);
  expect(e.restoreCaptured(cp.newestFirst, cp.meta.layout)).toEqual([]);
  return e;
}

describe('binary checkpoints', () => {
  it('atomicWrite replaces the file whole and leaves no temp file', async () => {
    const path = join(dir, 'a', 'f.json');
    await atomicWrite(path, 'one');
    await atomicWrite(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'a'))).toEqual(['f.json']);
  });

  it("round-trips every stream's state, the weights and the positions", async () => {
    const s = spec('round');
    const a = new PipelineEngine(s);
    a.ingest(records(50, 0, 30));
    expect(await readCheckpoint(s)).toBeUndefined();
    const w = new CheckpointWriter(s);
    await w.write('base', state(a, { 'file-0': 1500 }), a.captureStreams(false), new Date(0));
    const cp = await readCheckpoint(s);
    expect(cp?.meta.sources).toEqual({ 'file-0': 1500 });
    expect(cp?.meta.model).toEqual(a.runner.exportWeights());
    const b = await restored(s);
    expect(b.runner.arena.size).toBe(50);
    expect(sortedSnapshot(b)).toEqual(sortedSnapshot(a));
  });

  it('base + deltas of only the changed streams restore what a full capture does', async () => {
    const s = spec('incr');
    const a = new PipelineEngine(s);
    const w = new CheckpointWriter(s);
    a.ingest(records(200, 0, 20));
    expect(await write(w, a)).toEqual({ kind: 'base', streams: 200 });
    // Only streams 0..9, then only 100..104 get records: the deltas hold those alone.
    a.ingest(records(200, 20, 25, (i) => i < 10));
    expect(await write(w, a)).toEqual({ kind: 'delta', streams: 10 });
    a.ingest(records(200, 20, 23, (i) => i >= 100 && i < 105));
    a.ingest(records(200, 25, 27, (i) => i < 3));
    expect(await write(w, a)).toEqual({ kind: 'delta', streams: 8 });
    expect((await readdir(join(dir, 'incr'))).sort()).toEqual([
      'checkpoint.bin',
      'checkpoint.delta-000001.bin',
      'checkpoint.delta-000002.bin',
    ]);
    const b = await restored(s);
    expect(sortedSnapshot(b)).toEqual(sortedSnapshot(a));
    // The same state as a full capture of the uninterrupted engine.
    const full = spec('incr-full');
    await new CheckpointWriter(full).write('base', state(a), a.captureStreams(false), new Date(0));
    expect(sortedSnapshot(await restored(full)).streams).toEqual(sortedSnapshot(b).streams);
    // Compaction: a new base replaces the deltas.
    await write(w, a, 'base');
    expect(await readdir(join(dir, 'incr'))).toEqual(['checkpoint.bin']);
  });

  it('a restart from base + delta forecasts bit-equal to an uninterrupted run (2000 streams)', async () => {
    const N = 2000;
    const s = spec('restart');
    const key = (f: Forecast): string => `${f.key}|${f.t}`;
    const ref = new Map<string, number[]>();
    const uninterrupted = new PipelineEngine(s, { forecast: (f) => ref.set(key(f), [...f.mean, ...f.lower, ...f.upper]) });
    for (let t = 0; t < 40; t += 5) uninterrupted.ingest(records(N, t, t + 5));
    uninterrupted.flush();

    const first = new PipelineEngine(s);
    const w = new CheckpointWriter(s);
    for (let t = 0; t < 20; t += 5) first.ingest(records(N, t, t + 5));
    await write(w, first, 'base');
    first.ingest(records(N, 20, 25, (i) => i % 50 === 0)); // 1% of the streams move on
    expect(await write(w, first)).toEqual({ kind: 'delta', streams: N / 50 });

    const after = new Map<string, number[]>();
    const second = await restored(s, { forecast: (f: Forecast) => after.set(key(f), [...f.mean, ...f.lower, ...f.upper]) });
    second.ingest(records(N, 20, 25, (i) => i % 50 !== 0));
    for (let t = 25; t < 40; t += 5) second.ingest(records(N, t, t + 5));
    second.flush();
    expect(after.size).toBeGreaterThan(N * 10);
    let compared = 0;
    for (const [k, v] of after) {
      expect(ref.get(k), k).toEqual(v);
      compared++;
    }
    expect(compared).toBe(after.size);
  }, 60_000);

  it("after a failed delta the next checkpoint is a full base (the failed delta's changes are in no file)", async () => {
    const s = spec('faildelta');
    const a = new PipelineEngine(s);
    const w = new CheckpointWriter(s);
    a.ingest(records(40, 0, 10));
    await write(w, a);
    a.ingest(records(40, 10, 11, (i) => i < 2));
    expect(w.plan(a.changedStreams, a.runner.arena.size)).toBe('delta');
    await mkdir(`${deltaPath(s, 1)}.tmp-${process.pid}`); // the delta's temp file cannot be created
    await expect(write(w, a, 'delta')).rejects.toThrow(/EISDIR|directory/);
    await rm(`${deltaPath(s, 1)}.tmp-${process.pid}`, { recursive: true });
    expect(w.plan(a.changedStreams, a.runner.arena.size)).toBe('base');
    expect(await write(w, a)).toEqual({ kind: 'base', streams: 40 });
    expect(sortedSnapshot(await restored(s)).streams).toEqual(sortedSnapshot(a).streams);
  });

  it('refuses a truncated or corrupt file with a clear error, and other model settings', async () => {
    const s = spec('bad');
    const a = new PipelineEngine(s);
    a.ingest(records(20, 0, 10));
    await new CheckpointWriter(s).write('base', state(a), a.captureStreams(false), new Date(0));
    await expect(readCheckpoint(spec('bad', 5))).rejects.toThrow(/different data or model settings/);
    const good = await readFile(checkpointPath(s));
    const flipped = Buffer.from(good);
    flipped[Math.floor(good.byteLength / 2)] ^= 0x40;
    await writeFile(checkpointPath(s), flipped);
    const err = await readCheckpoint(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidecastError);
    expect((err as TidecastError).code).toBe('state_corrupt');
    expect((err as Error).message).toMatch(/corrupt or truncated \(checksum mismatch\)/);
    await writeFile(checkpointPath(s), good.subarray(0, good.byteLength - 100));
    await expect(readCheckpoint(s)).rejects.toThrow(/cut short/);
    // A delta that is damaged is refused too (not skipped: its streams would silently go back in time).
    await writeFile(checkpointPath(s), good);
    await writeFile(deltaPath(s, 1), good.subarray(0, 40));
    await expect(readCheckpoint(s)).rejects.toThrow(/checkpoint\.delta-000001\.bin is corrupt or truncated/);
  });

  it('restores a version-1 JSON checkpoint once; the next checkpoint is binary and replaces it', async () => {
    const s = spec('legacy');
    const a = new PipelineEngine(s);
    a.ingest(records(30, 0, 15));
    const { fingerprint } = await import('./checkpoint.js');
    await mkdir(s.state.dir, { recursive: true });
    await writeFile(
      legacyCheckpointPath(s),
      JSON.stringify({
        version: 1,
        pipeline: s.name,
        fingerprint: fingerprint(s),
        writtenAt: new Date(0).toISOString(),
        sources: { 'file-0': 450 },
        model: a.runner.exportWeights(),
        engine: a.snapshot(),
      }),
    );
    const log = createLogger({ level: 'silent' });
    const rt = new PipelineRuntime(s, { log, paced: false });
    expect(await rt.restore()).toBe(true);
    expect(rt.positions).toEqual({ 'file-0': 450 });
    expect(sortedSnapshot(rt.engine)).toEqual(sortedSnapshot(a));
    expect(await rt.checkpoint()).toBe(true);
    expect(await readdir(s.state.dir)).toEqual(['checkpoint.bin']);
    const again = new PipelineRuntime(s, { log, paced: false });
    expect(await again.restore()).toBe(true);
    expect(sortedSnapshot(again.engine)).toEqual(sortedSnapshot(a));
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Observation } from '../core/types.js';
import { PipelineEngine, type EngineSnapshot } from '../engine/pipeline-engine.js';
import { PipelineRuntime } from '../runtime/pipeline-runtime.js';
import { createLogger } from '../telemetry/logger.js';
import { readCheckpoint } from './checkpoint.js';

// A runtime with limits.max_resident_streams: its checkpoints evict down to the limit and still hold
// every stream, a restart restores up to the limit (the rest straight to the spill file), and the streams that come back after the restart
// end in exactly the state of a run that never evicted nor restarted.

const STEP = 60_000;
const N = 150;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-cp-evict-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function spec(sub: string, limits: string): PipelineSpec {
  const r = parsePipelineText(
    `name: cpevict
step_ms: ${STEP}
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 4, horizon: 3, seed: 5, forecaster: recurrent }
alerting:
  rules:
    - { name: dev, detector: score, warning: 0.99 }
limits: { max_streams: 100000${limits} }
state: { dir: ${dir}/${sub} }
`,
    'cp-evict.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

/** Step t: a third of the streams (rotating) send a record. */
function recordsAt(t: number): Observation[] {
  const out: Observation[] = [];
  for (let i = 0; i < N; i++) {
    if ((i + t) % 3 !== 0 && t > 2) continue;
    out.push({ key: `s/${i}`, eventTime: t * STEP, fields: { value: 5 + Math.sin(t / 3 + i) + ((t * 13 + i) % 7) / 10 } });
  }
  return out;
}

function step(e: PipelineEngine, t: number): void {
  e.ingest(recordsAt(t));
  e.advanceWatermark((t + 1) * STEP); // as the live idle flush does: every open step closes
}

function sortedStreams(e: PipelineEngine): EngineSnapshot['streams'] {
  return [...e.snapshot().streams].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

describe('checkpoints with evicted streams (runtime)', () => {
  it('checkpoint, restart and return give the state of a run that never evicted', async () => {
    const log = createLogger({ level: 'silent' });
    const never = new PipelineEngine(spec('never', ''));
    const s = spec('capped', ', max_resident_streams: 20');
    const first = new PipelineRuntime(s, { log, paced: false });
    for (let t = 0; t < 12; t++) {
      step(never, t);
      step(first.engine, t);
      if (t % 4 === 3) expect(await first.checkpoint()).toBe(true);
    }
    expect(first.engine.runner.arena.size).toBeLessThanOrEqual(20 + N / 3);
    expect(first.engine.streamCount).toBe(N);
    first.engine.eviction?.close();

    const second = new PipelineRuntime(s, { log, paced: false });
    expect(await second.restore()).toBe(true);
    expect(second.engine.streamCount).toBe(N);
    expect(second.engine.runner.arena.size).toBe(20);
    // Streams beyond the limit went to the spill file unrestored: the per-stream arrays never grew for them.
    expect(second.engine.processor.arena.capacity).toBeLessThan(N / 2);
    for (let t = 12; t < 20; t++) {
      step(never, t);
      step(second.engine, t);
    }
    expect(second.engine.eviction?.recalls).toBeGreaterThan(N / 2);
    expect(await second.checkpoint()).toBe(true);
    second.engine.eviction?.close();

    // Every stream of the last checkpoint, read into an engine that never evicts, equals the reference.
    const cp = await readCheckpoint(s);
    if (cp?.meta.layout === undefined) throw new Error('no checkpoint');
    const back = new PipelineEngine(spec('back', ''));
    back.runner.importWeights(cp.meta.model);
    expect(back.restoreCaptured(cp.newestFirst, cp.meta.layout)).toEqual([]);
    expect(back.runner.arena.size).toBe(N);
    expect(sortedStreams(back)).toEqual(sortedStreams(never));
  }, 120_000);
});

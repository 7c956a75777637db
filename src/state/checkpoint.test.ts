import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import { TidecastError } from '../core/errors.js';
import { atomicWrite } from './atomic-write.js';
import { checkpointPath, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-cp-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function spec(units: number): PipelineSpec {
  const r = parsePipelineText(`name: cp
step_ms: 1000
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: lstm, units: ${units}, horizon: 2 }
state: { dir: ${dir}/state }
`, 'cp.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.pipelines[0];
}

describe('checkpoints', () => {
  it('atomicWrite replaces the file whole and leaves no temp file', async () => {
    const path = join(dir, 'a', 'f.json');
    await atomicWrite(path, 'one');
    await atomicWrite(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'a'))).toEqual(['f.json']);
  });

  it('round-trips engine state, weights and positions', async () => {
    const s = spec(4);
    const engine = new PipelineEngine(s);
    engine.ingest([{ key: 'k', eventTime: 0, fields: { value: 1 } }, { key: 'k', eventTime: 1000, fields: { value: 2 } }, { key: 'k', eventTime: 2500, fields: { value: 4 } }]);
    expect(await readCheckpoint(s)).toBeUndefined();
    await writeCheckpoint(s, { sources: { 'file-0': 3 }, model: engine.runner.exportWeights(), engine: engine.snapshot() }, new Date(0));
    const cp = await readCheckpoint(s);
    expect(cp?.sources).toEqual({ 'file-0': 3 });
    expect(cp?.engine).toEqual(engine.snapshot());
    expect(cp?.model).toEqual(engine.runner.exportWeights());
  });

  it('refuses a checkpoint written with other model settings, and a corrupt one', async () => {
    await expect(readCheckpoint(spec(5))).rejects.toThrow(/different data or model settings/);
    await writeFile(checkpointPath(spec(4)), '{"version":1,');
    const err = await readCheckpoint(spec(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidecastError);
    expect((err as TidecastError).code).toBe('state_corrupt');
  });
});

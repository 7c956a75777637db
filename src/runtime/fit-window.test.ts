import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import type { PipelineSpec } from '../config/pipeline-schema.js';
import type { Observation } from '../core/types.js';
import { createLogger } from '../telemetry/logger.js';
import { readCheckpoint } from '../state/checkpoint.js';
import { PipelineRuntime } from './pipeline-runtime.js';
import type { StepRow } from '../engine/pipeline-engine.js';

// The offline fit's window is left unscored by the daemon's runtime, and a restart from the
// checkpoint keeps it: the steps the model trained on are never scored.

const FIT = 40;
const STEP = 60_000;
let dir: string;
let spec: PipelineSpec;

function series(n: number): Observation[] {
  return Array.from({ length: n }, (_, i) => ({
    key: 's/a',
    eventTime: i * STEP,
    fields: { value: 10 + Math.sin(i / 5) + 0.1 * Math.cos(i * 7.3) },
  }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-fitwin-'));
  const csv = ['stream,timestamp,value', ...series(200).map((o) => `a,${o.eventTime},${o.fields.value}`)].join('\n');
  await writeFile(join(dir, 'a.csv'), `${csv}\n`);
  const r = parsePipelineText(
    `name: fw
step_ms: ${STEP}
sources: [{ kind: file, path: ${dir}/a.csv, key_column: stream, key_prefix: s/ }]
model: { cell: gru, units: 4, horizon: 2, seed: 3 }
training: { offline: { steps: ${FIT}, epochs: 1, max_time_ms: 600000 } }
state: { dir: ${dir}/state }
`,
    'fw.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  spec = r.value.pipelines[0];
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Feeds 120 steps of s/a to a runtime's engine; returns each row's step number and whether it was scored. */
function scoredSteps(rt: PipelineRuntime, rows: StepRow[]): { step: number; scored: boolean }[] {
  rt.engine.ingest(series(120));
  rt.engine.flush();
  return rows.map((r) => ({ step: r.t / STEP + 1, scored: !Number.isNaN(r.score) }));
}

describe('the offline fit window in the daemon', () => {
  it('is not scored, before and after a restart from the checkpoint; without a fit the same steps are', async () => {
    const log = createLogger({ level: 'silent' });
    const rowsA: StepRow[] = [];
    const a = new PipelineRuntime(spec, { log, paced: false, observer: { step: (r) => rowsA.push(r) } });
    expect(await a.restore()).toBe(false);
    expect(await a.prepareModel()).toBe('offline');
    await a.checkpoint();
    expect((await readCheckpoint(spec))?.meta.fitWindow).toEqual({ steps: FIT, streams: ['s/a'] });

    const rowsB: StepRow[] = [];
    const b = new PipelineRuntime(spec, { log, paced: false, observer: { step: (r) => rowsB.push(r) } });
    expect(await b.restore()).toBe(true);
    for (const rows of [scoredSteps(a, rowsA), scoredSteps(b, rowsB)]) {
      expect(rows.filter((r) => r.step <= FIT && r.scored)).toEqual([]);
      expect(rows.filter((r) => r.step > FIT && r.scored).length).toBeGreaterThan(60);
    }
    // A runtime that knows no fit window scores steps inside it (the test can tell the difference).
    const rowsC: StepRow[] = [];
    const c = new PipelineRuntime(
      { ...spec, state: { ...spec.state, dir: join(dir, 'other') } },
      { log, paced: false, observer: { step: (r) => rowsC.push(r) } },
    );
    expect(scoredSteps(c, rowsC).filter((r) => r.step <= FIT && r.scored).length).toBeGreaterThan(0);
  });
});

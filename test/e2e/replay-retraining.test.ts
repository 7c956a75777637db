import { execFile } from 'node:child_process';
import { kill } from 'node:process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineFiles } from '../../src/config/load-pipeline.js';
import type { PipelineSpec } from '../../src/config/pipeline-schema.js';
import { PipelineEngine } from '../../src/engine/pipeline-engine.js';
import { replayInto } from '../../src/runtime/replay/replay.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { BIN, readJsonLines, REPO, startDaemon, waitFor } from './daemon-harness.js';

interface FileForecast {
  stream: string;
  t: number;
  model_version: string;
  mean: number[];
  lower: number[];
  upper: number[];
}

// Retraining in event time (training.online, deterministic by default): a run triggered at step K
// learns from the buffer as of K with a fixed budget and seed and is applied after step
// K + apply_after_steps, so the output is a function of the input alone. Replaying twice gives the
// same bytes, and the daemon, fed the same records paced and in other batches, serves the same
// forecasts with the same model versions as an in-process replay.

const run = promisify(execFile);
const HOUR = 3_600_000;
const STREAMS = 4;
const STEPS = 1500;

/** Time-sorted hourly streams whose daily shape changes a third of the way in (so retraining has something to learn). */
function series(): string {
  const lines = ['stream,timestamp,value'];
  const t0 = Date.UTC(2024, 0, 1);
  for (let k = 0; k < STEPS; k++) {
    for (let s = 0; s < STREAMS; s++) {
      const period = k < STEPS / 3 ? 24 : 12;
      const v = 10 + s + 3 * Math.sin((2 * Math.PI * k) / period + s) + 0.3 * Math.sin(k * 1.7 + s * 0.3);
      lines.push(`s${s},${new Date(t0 + k * HOUR).toISOString()},${v.toFixed(4)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

type Ref = Map<string, { v: string; mean: number[]; lower: number[]; upper: number[] }>;

/** Every forecast of an in-process replay (the replay loop, 4096-record batches), keyed "stream|t". */
async function replayForecasts(spec: PipelineSpec, input: string, stateDir: string): Promise<Ref> {
  const ref: Ref = new Map();
  const engine = new PipelineEngine(
    { ...spec, state: { ...spec.state, dir: stateDir } },
    {
      forecast: (f) =>
        ref.set(`${f.key}|${f.t}`, { v: f.modelVersion, mean: Array.from(f.mean), lower: Array.from(f.lower), upper: Array.from(f.upper) }),
    },
  );
  await replayInto(engine, input, silentLogger());
  return ref;
}

/** Daemon forecasts that differ from the replay's (value or model version), with the first for the message. */
function mismatches(written: readonly FileForecast[], ref: Ref): { count: number; first: string } {
  let count = 0;
  let first = '';
  for (const f of written) {
    const r = ref.get(`${f.stream}|${f.t}`);
    const same =
      r !== undefined &&
      r.v === f.model_version &&
      JSON.stringify([r.mean, r.lower, r.upper]) === JSON.stringify([f.mean, f.lower, f.upper]);
    if (!same) {
      count++;
      first ||= `${f.stream}|${f.t}: daemon ${JSON.stringify(f)} replay ${JSON.stringify(r)}`;
    }
  }
  return { count, first };
}

function pipeline(dir: string, input: string, online: string, speedup = 400_000_000): string {
  return `name: rt
step_ms: ${HOUR}
fields: [{ name: value, aggregation: mean }]
sources:
  - { kind: file, name: series, path: ${input}, key_column: stream, replay: { speedup: ${speedup}, max_batch_records: 37 } }
sinks:
  - { kind: file, forecasts_path: ${join(dir, 'forecasts.jsonl')} }
model: { cell: gru, layers: 1, units: 8, horizon: 3, seed: 5 }
training:
  offline: { steps: 100, epochs: 3 }
  online: ${online}
alerting: { rules: [{ name: r, warning: 0.999 }] }
state: { dir: ${join(dir, 'state')}, checkpoint_interval_ms: 600000 }
`;
}

const ONLINE = '{ enabled: true, every_steps: 1200, apply_after_steps: 500, window_steps: 200, max_epochs: 4, rewarm_steps: 24 }';

interface RetrainLog {
  runs: number;
  promoted: number;
  versions: string[];
}

function retrainLog(stderr: string): RetrainLog {
  const line = stderr.split('\n').find((l) => l.includes('"Retraining during the replay."'));
  if (line === undefined) throw new Error(`no retraining summary in: ${stderr.slice(-2000)}`);
  return JSON.parse(line) as RetrainLog;
}

describe('retraining in event time', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-retrain-e2e-'));
    input = join(dir, 'series.csv');
    await writeFile(input, series());
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replays twice to the same bytes, with runs and a promotion that change the output', async () => {
    const file = join(dir, 'on.yaml');
    await writeFile(file, pipeline(join(dir, 'on'), input, ONLINE));
    const off = join(dir, 'off.yaml');
    await writeFile(off, pipeline(join(dir, 'off'), input, '{ enabled: false }'));
    const outs = ['a', 'b', 'off'].map((n) => join(dir, `${n}.csv`));
    const [a, b] = [
      await run(process.execPath, [BIN, 'replay', file, '-i', input, '-o', outs[0]], { cwd: REPO }),
      await run(process.execPath, [BIN, 'replay', file, '-i', input, '-o', outs[1]], { cwd: REPO }),
    ];
    await run(process.execPath, [BIN, 'replay', off, '-i', input, '-o', outs[2]], { cwd: REPO });
    const [ra, rb] = [retrainLog(a.stderr), retrainLog(b.stderr)].map(({ runs, promoted, versions }) => ({ runs, promoted, versions }));
    // 6000 steps, a run every 1200 steps (checked every 200): at least 3 runs, one promoted at least.
    expect(ra.runs).toBeGreaterThanOrEqual(3);
    expect(ra.promoted).toBeGreaterThanOrEqual(1);
    expect(rb).toEqual(ra);
    const [textA, textB, textOff] = await Promise.all(outs.map((o) => readFile(o, 'utf8')));
    expect(textA.split('\n').length).toBeGreaterThan(STREAMS * (STEPS - 10));
    expect(textB).toBe(textA);
    // The promotions changed the forecasts (same rows, other values).
    expect(textOff.split('\n').length).toBe(textA.split('\n').length);
    expect(textOff).not.toBe(textA);
  }, 60_000);

  it('serves the same forecasts and model versions from the daemon as from a replay of the same records', async () => {
    const sub = join(dir, 'daemon');
    const file = join(dir, 'daemon.yaml');
    await writeFile(file, pipeline(sub, input, ONLINE));
    const spec = (await loadPipelineFiles([file]))[0].pipelines[0] as PipelineSpec;

    const ref = await replayForecasts(spec, input, join(dir, 'ref-state'));
    const refVersions = new Set([...ref.values()].map((f) => f.v));
    expect(refVersions.size).toBeGreaterThanOrEqual(2);

    // The daemon: paced file source, batches of at most 37 records (other model-call boundaries).
    const d = await startDaemon(file);
    const forecastsPath = join(sub, 'forecasts.jsonl');
    await waitFor(
      'the daemon to read the whole file',
      async () => (d.lines.some((l) => l.msg === 'Source ended.') ? true : undefined),
      45_000,
    );
    kill(d.child.pid as number, 'SIGTERM');
    expect(await d.exited).toBe(0);
    const written = await readJsonLines<FileForecast>(forecastsPath);
    // Live, the last step of each stream stays open (no more data closes it); replay flushes it.
    expect(written.length).toBeGreaterThanOrEqual(ref.size - STREAMS);
    const bad = mismatches(written, ref);
    expect(bad.count, bad.first).toBe(0);
    expect(new Set(written.map((f) => f.model_version))).toEqual(refVersions);
  }, 60_000);

  it('restarted mid-file (SIGTERM, checkpoint, start again) writes each forecast once, equal to the uninterrupted replay', async () => {
    const sub = join(dir, 'restart');
    const file = join(dir, 'restart.yaml');
    // About 4 s for the file, so that the stop falls inside it.
    await writeFile(file, pipeline(sub, input, ONLINE, Math.round((STEPS * HOUR) / 4000)));
    const spec = (await loadPipelineFiles([file]))[0].pipelines[0] as PipelineSpec;
    const ref = await replayForecasts(spec, input, join(dir, 'ref-state-2'));
    const forecastsPath = join(sub, 'forecasts.jsonl');

    const first = await startDaemon(file);
    // Stop after the first promotion and well before the end.
    await waitFor(
      'a promotion in the first run',
      async () => {
        const rows = await readJsonLines<FileForecast>(forecastsPath);
        return rows.some((f) => f.model_version.includes('promoted')) ? true : undefined;
      },
      30_000,
      50,
    );
    kill(first.child.pid as number, 'SIGTERM');
    expect(await first.exited).toBe(0);
    const before = (await readJsonLines<FileForecast>(forecastsPath)).length;
    expect(before).toBeLessThan(ref.size - STREAMS * 100);

    const second = await startDaemon(file);
    await waitFor(
      'the restarted daemon to read the rest of the file',
      async () => (second.lines.some((l) => l.msg === 'Source ended.') ? true : undefined),
      45_000,
    );
    expect(second.lines.some((l) => l.msg === 'Retraining continues from the checkpoint.')).toBe(true);
    kill(second.child.pid as number, 'SIGTERM');
    expect(await second.exited).toBe(0);

    const written = await readJsonLines<FileForecast>(forecastsPath);
    const ids = written.map((f) => `${f.stream}|${f.t}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(written.length).toBeGreaterThanOrEqual(ref.size - STREAMS);
    const bad = mismatches(written, ref);
    expect(bad.count, bad.first).toBe(0);
    // Promotions happened after the restart too.
    const later = new Set(written.slice(before).map((f) => f.model_version));
    expect([...later].some((v) => !written.slice(0, before).some((f) => f.model_version === v))).toBe(true);
  }, 60_000);
});

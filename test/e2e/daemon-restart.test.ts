import { kill } from 'node:process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineFiles } from '../../src/config/load-pipeline.js';
import type { PipelineSpec } from '../../src/config/pipeline-schema.js';
import { PipelineEngine } from '../../src/engine/pipeline-engine.js';
import { replayInto } from '../../src/runtime/replay/replay.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { CWD, demoCopy, getJson, readJsonLines, startDaemon, waitFor, type Daemon } from './daemon-harness.js';

// The embedded default end to end: start the daemon, read forecasts over the API, SIGTERM, restart,
// and check every forecast of both runs against one uninterrupted in-process replay of the same
// files (offline fit at start and event-time retraining included, as the daemon runs them): equal to
// the last bit with the same model version, none missing, none repeated.

interface ApiForecast {
  t: number;
  modelVersion: string;
  mean: number[];
  lower: number[];
  upper: number[];
}
interface ApiStream {
  key: string;
  pipeline: string;
  latestForecast: ApiForecast | null;
}
interface FileForecast {
  pipeline: string;
  stream: string;
  t: number;
  model_version: string;
  mean: number[];
  lower: number[];
  upper: number[];
}
type Ref = Map<string, { version: string; mean: number[]; lower: number[]; upper: number[] }>;

const SPEEDUP = 10;

async function streams(d: Daemon): Promise<ApiStream[]> {
  return (await getJson<{ streams: ApiStream[] }>(`${d.url}/api/streams`)).streams;
}

/** Every forecast of an uninterrupted replay of the pipeline's file, keyed "stream|t". */
async function reference(spec: PipelineSpec): Promise<Ref> {
  const out: Ref = new Map();
  const engine = new PipelineEngine(spec, {
    forecast: (f) =>
      out.set(`${f.key}|${f.t}`, {
        version: f.modelVersion,
        mean: Array.from(f.mean),
        lower: Array.from(f.lower),
        upper: Array.from(f.upper),
      }),
  });
  const file = spec.sources.find((s) => s.kind === 'file');
  if (file?.kind !== 'file' || file.path === undefined) throw new Error(`${spec.name} has no file source with a path`);
  await replayInto(engine, resolve(CWD, file.path), silentLogger());
  return out;
}

describe('tidecast run on pipelines/demo.yaml', () => {
  let dir: string;
  let file: string;
  let specs: PipelineSpec[];
  const before = new Map<string, ApiForecast>();
  const after = new Map<string, ApiForecast>();
  let firstExit: number | null = null;
  let secondExit: number | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-e2e-'));
    file = await demoCopy(dir, SPEEDUP);
    specs = (await loadPipelineFiles([file]))[0].pipelines as PipelineSpec[];

    const first = await startDaemon(file);
    const live = await waitFor(
      'forecasts from every pipeline over the API',
      async () => {
        const s = await streams(first);
        const withForecast = s.filter((x) => x.latestForecast !== null);
        return specs.every((p) => withForecast.some((x) => x.pipeline === p.name)) ? withForecast : undefined;
      },
      60_000,
    );
    for (const s of live) before.set(s.key, s.latestForecast as ApiForecast);
    kill(first.child.pid as number, 'SIGTERM');
    firstExit = await first.exited;

    const second = await startDaemon(file);
    await waitFor(
      'forecasts after the restart to move past the checkpoint',
      async () => {
        const s = await streams(second);
        const moved = s.filter((x) => x.latestForecast !== null && x.latestForecast.t > (before.get(x.key)?.t ?? Infinity));
        return specs.every((p) => moved.some((x) => x.pipeline === p.name)) ? moved : undefined;
      },
      60_000,
    ).then((moved) =>
      moved.forEach((s) => {
        after.set(s.key, s.latestForecast as ApiForecast);
      }),
    );
    kill(second.child.pid as number, 'SIGTERM');
    secondExit = await second.exited;
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops with exit code 0 on SIGTERM and leaves a checkpoint per pipeline', () => {
    expect(firstExit).toBe(0);
    expect(secondExit).toBe(0);
    for (const p of specs) expect(existsSync(join(p.state.dir, 'checkpoint.bin'))).toBe(true);
  });

  it('serves forecasts that equal an uninterrupted run, before and after the restart', async () => {
    for (const p of specs) {
      const ref = await reference(p);
      const mine = [...before, ...after].filter(([key]) => key.startsWith(`${p.name}/`));
      expect(mine.length).toBeGreaterThan(0);
      for (const [key, f] of mine) {
        expect(ref.get(`${key}|${f.t}`), `${key} at ${f.t}`).toEqual({
          version: f.modelVersion,
          mean: f.mean,
          lower: f.lower,
          upper: f.upper,
        });
      }
    }
  });

  it('writes each forecast exactly once across the restart, bit-equal to the uninterrupted run', async () => {
    for (const p of specs) {
      const ref = await reference(p);
      const sink = p.sinks.find((s) => s.kind === 'file');
      const written = await readJsonLines<FileForecast>((sink as { forecasts_path: string }).forecasts_path);
      const seen = new Set<string>();
      const lastT = new Map<string, number>();
      for (const f of written) {
        const id = `${f.stream}|${f.t}`;
        expect(seen.has(id), `${id} written twice`).toBe(false);
        seen.add(id);
        expect(ref.get(id), id).toEqual({ version: f.model_version, mean: f.mean, lower: f.lower, upper: f.upper });
        lastT.set(f.stream, Math.max(lastT.get(f.stream) ?? -Infinity, f.t));
      }
      // Nothing the uninterrupted run forecast up to where the daemon got is missing.
      const missing = [...ref.keys()].filter((id) => {
        const [stream, t] = [id.slice(0, id.lastIndexOf('|')), Number(id.slice(id.lastIndexOf('|') + 1))];
        return t <= (lastT.get(stream) ?? -Infinity) && !seen.has(id);
      });
      expect(missing).toEqual([]);
      // The restart happened inside the data: forecasts after the first run's last one exist.
      const crossed = [...after.keys()].filter((k) => k.startsWith(`${p.name}/`));
      expect(crossed.length).toBeGreaterThan(0);
    }
  });
});

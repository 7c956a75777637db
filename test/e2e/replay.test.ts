import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineFiles } from '../../src/config/load-pipeline.js';
import { BIN, REPO } from './daemon-harness.js';

// `tidecast replay` on a bundled sample file: one row per forecast step, all values finite. The
// expected row count is derived from the input alone: per stream, the grid steps between its first
// and last observation (gaps up to max_gap_steps are imputed; longer gaps restart the stream, whose
// first step after the break has no forecast).

const run = promisify(execFile);

interface Row {
  timestamp: string;
  stream: string;
  actual: number;
  forecast: number;
  lower: number;
  upper: number;
  score: number | null;
  imputed: number;
  surprise: number | null;
  likelihood: number | null;
  baseline: number | null;
}

function parseCsv(text: string): { header: string; rows: Row[] } {
  const [header, ...lines] = text.trimEnd().split('\n');
  return {
    header,
    rows: lines.map((l) => {
      const c = l.split(',');
      return {
        timestamp: c[0],
        stream: c[1],
        actual: +c[2],
        forecast: +c[3],
        lower: +c[4],
        upper: +c[5],
        score: c[6] === '' ? null : +c[6],
        imputed: +c[7],
        surprise: c[8] === '' ? null : +c[8],
        likelihood: c[9] === '' ? null : +c[9],
        baseline: c[10] === '' ? null : +c[10],
      };
    }),
  };
}

describe.each(['weather', 'stocks', 'health'])('tidecast replay of data/%s.csv', (name) => {
  let dir: string;
  let out: string;
  let stderr: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-replay-'));
    out = join(dir, `${name}.csv`);
    const r = await run(
      process.execPath,
      [BIN, 'replay', 'pipelines/demo.yaml', '--pipeline', name, '--input', `data/${name}.csv`, '--output', out],
      { cwd: REPO },
    );
    stderr = r.stderr;
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes one row per step with finite values', async () => {
    const spec = (await loadPipelineFiles([join(REPO, 'pipelines/demo.yaml')]))[0].pipelines.find((p) => p.name === name);
    if (spec === undefined || spec.sources[0].kind !== 'file') throw new Error(`no file pipeline ${name}`);
    const src = spec.sources[0];
    const { header, rows } = parseCsv(await readFile(out, 'utf8'));
    expect(header).toBe('timestamp,stream,actual,forecast,lower,upper,anomaly_score,imputed,surprise,likelihood,baseline');

    // Expected rows from the input: per stream, distinct steps -> segments -> steps after the first.
    const input = (await readFile(join(REPO, `data/${name}.csv`), 'utf8')).trimEnd().split('\n').slice(1);
    const steps = new Map<string, Set<number>>();
    for (const line of input) {
      const [stream, ts] = line.split(',');
      const t = Date.parse(/T|Z/.test(ts) ? (ts.endsWith('Z') ? ts : `${ts}Z`) : `${ts}T00:00:00Z`);
      const key = src.key_prefix + stream;
      if (!steps.has(key)) steps.set(key, new Set());
      steps.get(key)?.add(Math.floor(t / spec.step_ms) * spec.step_ms);
    }
    const expected = new Map<string, number>();
    for (const [key, set] of steps) {
      const ts = [...set].sort((a, b) => a - b);
      let n = 0;
      for (let i = 1; i < ts.length; i++) {
        const gap = (ts[i] - ts[i - 1]) / spec.step_ms - 1;
        if (gap <= spec.impute.max_gap_steps) n += gap + 1;
      }
      expected.set(key, n);
    }
    const got = new Map<string, number>();
    for (const r of rows) got.set(r.stream, (got.get(r.stream) ?? 0) + 1);
    expect(got).toEqual(expected);

    for (const r of rows) {
      for (const v of [r.actual, r.forecast, r.lower, r.upper]) expect(Number.isFinite(v), JSON.stringify(r)).toBe(true);
      expect(r.lower).toBeLessThanOrEqual(r.forecast);
      expect(r.upper).toBeGreaterThanOrEqual(r.forecast);
      // Imputed steps are never scored; real ones are, once the stream's scorer has warmed up.
      if (r.imputed === 1) expect(r.score, JSON.stringify(r)).toBeNull();
      if (r.score !== null) {
        expect(Number.isFinite(r.score), JSON.stringify(r)).toBe(true);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(1);
        // The surprise is the same tail probability in -log10: present exactly where the score is.
        expect(r.surprise, JSON.stringify(r)).not.toBeNull();
        expect(Math.abs(1 - 10 ** -(r.surprise as number) - r.score)).toBeLessThan(1e-9);
      } else expect(r.surprise).toBeNull();
      if (r.likelihood !== null) {
        expect(r.score).not.toBeNull();
        expect(r.likelihood).toBeGreaterThanOrEqual(0);
      }
      expect(Number.isNaN(Date.parse(r.timestamp))).toBe(false);
    }
    const real = rows.filter((r) => r.imputed === 0);
    expect(real.filter((r) => r.score !== null).length).toBeGreaterThan(real.length / 2);
    expect(real.filter((r) => r.likelihood !== null).length).toBeGreaterThan(real.length / 3);
    // The baseline deviation needs no forecast: on most real steps, never on imputed ones.
    expect(real.filter((r) => r.baseline !== null && r.baseline >= 0).length).toBeGreaterThan(real.length / 2);
    expect(rows.filter((r) => r.imputed === 1 && r.baseline !== null).length).toBe(0);
    // Times increase per stream.
    const last = new Map<string, number>();
    for (const r of rows) {
      const t = Date.parse(r.timestamp);
      expect(t).toBeGreaterThan(last.get(r.stream) ?? -Infinity);
      last.set(r.stream, t);
    }
    // Progress and the summary go to the log, not the output.
    expect(stderr).toContain('Replay written.');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kill } from 'node:process';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, readJsonLines, startDaemon, waitFor, type Daemon } from './daemon-harness.js';

// A looped file source (`loop: true`, as the embedded demo uses) in the real daemon: the sample
// replays lap after lap with times shifted by its span, and a restart from the checkpoint continues
// the lap it was in: the forecasts written by both runs are one gapless hourly sequence, each hour
// once, no record dead-lettered (none replayed twice or late), and every actual served is the
// sample's value for its hour of the lap.

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const ROWS = 48;
const LAP_MS = ROWS * H; // span 47 h + one step

interface Detail {
  actuals: { t: number[]; value: number[] };
}
interface FileForecast {
  stream: string;
  t: number;
}

/** The sample's value for an event time of any lap. */
const valueAt = (stream: 'a' | 'b', t: number): number => {
  const i = ((t - T0) / H) % ROWS;
  return stream === 'a' ? i : 1000 + 3 * i;
};

describe('tidecast run with a looped file source', () => {
  let dir: string;
  const daemons: Daemon[] = [];

  afterAll(async () => {
    for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps replaying past the end of the sample and a restart continues the lap it was in', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-loop-e2e-'));
    const rows = ['stream,timestamp,value'];
    for (let i = 0; i < ROWS; i++) {
      const t = new Date(T0 + i * H).toISOString();
      rows.push(`a,${t},${valueAt('a', T0 + i * H)}`, `b,${t},${valueAt('b', T0 + i * H)}`);
    }
    await writeFile(join(dir, 'sample.csv'), `${rows.join('\n')}\n`);
    const forecastsPath = join(dir, 'forecasts.jsonl');
    const deadPath = join(dir, 'dead-letters.jsonl');
    await writeFile(
      join(dir, 'p.yaml'),
      [
        'name: loop',
        'step_ms: 3600000',
        'fields: [{ name: value, aggregation: last }]',
        // 48 h of data in about 4 s of wall time per lap.
        `sources: [{ kind: file, name: f, path: ${join(dir, 'sample.csv')}, key_column: stream, key_prefix: loop/, loop: true, replay: { speedup: 43200 } }]`,
        `sinks: [{ kind: file, forecasts_path: ${forecastsPath}, dead_letters_path: ${deadPath}, fsync: false }]`,
        'model: { cell: gru, units: 4, horizon: 3, seed: 3 }',
        'training: { offline: { steps: 24, epochs: 1 } }',
        `state: { dir: ${join(dir, 'state')}, checkpoint_interval_ms: 500 }`,
      ].join('\n'),
    );

    const lastT = async (d: Daemon): Promise<number> => {
      const s = await getJson<Detail>(`${d.url}/api/streams/${encodeURIComponent('loop/a')}?limit=1000`);
      return s.actuals.t.length === 0 ? NaN : s.actuals.t[s.actuals.t.length - 1];
    };

    const first = await startDaemon(join(dir, 'p.yaml'));
    daemons.push(first);
    // Into the second lap: past the sample's end.
    await waitFor('the second lap', async () => ((await lastT(first)) >= T0 + LAP_MS + 6 * H ? true : undefined), 60_000, 100);
    const served = await getJson<Detail>(`${first.url}/api/streams/${encodeURIComponent('loop/a')}?limit=1000`);
    expect(served.actuals.t.some((t) => t < T0 + LAP_MS)).toBe(true);
    expect(served.actuals.t.some((t) => t >= T0 + LAP_MS)).toBe(true);
    for (let i = 0; i < served.actuals.t.length; i++) expect(served.actuals.value[i]).toBe(valueAt('a', served.actuals.t[i]));
    kill(first.child.pid as number, 'SIGTERM');
    expect(await first.exited).toBe(0);
    const beforeRestart = await readJsonLines<FileForecast>(forecastsPath);
    const stoppedAt = Math.max(...beforeRestart.filter((f) => f.stream === 'loop/a').map((f) => f.t));
    expect(stoppedAt).toBeGreaterThan(T0 + LAP_MS);

    const second = await startDaemon(join(dir, 'p.yaml'));
    daemons.push(second);
    // Continues from the checkpoint (not the sample's start, not a later lap) into the third lap.
    const resumed = await waitFor(
      'actuals after the restart',
      async () => {
        const s = await getJson<Detail>(`${second.url}/api/streams/${encodeURIComponent('loop/b')}?limit=1000`);
        return s.actuals.t.length > 0 ? s : undefined;
      },
      60_000,
      50,
    );
    expect(resumed.actuals.t[0]).toBeGreaterThan(stoppedAt - 6 * H);
    expect(resumed.actuals.t[0]).toBeLessThan(stoppedAt + 24 * H);
    await waitFor('the third lap', async () => ((await lastT(second)) >= T0 + 2 * LAP_MS + 4 * H ? true : undefined), 60_000, 100);
    const later = await getJson<Detail>(`${second.url}/api/streams/${encodeURIComponent('loop/b')}?limit=1000`);
    for (let i = 0; i < later.actuals.t.length; i++) expect(later.actuals.value[i]).toBe(valueAt('b', later.actuals.t[i]));
    kill(second.child.pid as number, 'SIGTERM');
    expect(await second.exited).toBe(0);

    // Both runs' forecasts: one hourly sequence per stream, no hour twice, none skipped, three laps.
    const written = await readJsonLines<FileForecast>(forecastsPath);
    for (const stream of ['loop/a', 'loop/b']) {
      const ts = written.filter((f) => f.stream === stream).map((f) => f.t);
      expect(new Set(ts).size, `${stream} forecast twice`).toBe(ts.length);
      ts.sort((x, y) => x - y);
      for (let i = 1; i < ts.length; i++) expect(ts[i] - ts[i - 1], `${stream} at ${ts[i]}`).toBe(H);
      expect(ts[ts.length - 1]).toBeGreaterThanOrEqual(T0 + 2 * LAP_MS);
    }
    // No record came twice or late (a restart that went back in the loop would dead-letter them).
    expect(await readJsonLines<{ code: string }>(deadPath)).toEqual([]);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, startDaemon, waitFor, type Daemon } from './daemon-harness.js';

// A daemon over a file that ends: the last record of every stream is stepped and forecast once the
// file has been read (not one step behind until more data comes), and a declared value range keeps
// forecasts and bands inside it.

interface ApiStream {
  key: string;
  latestForecast: { t: number; mean: number[]; lower: number[] } | null;
}

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const STEPS = 120;

describe('tidecast run over a file source that ends', () => {
  let dir: string;
  let daemon: Daemon | undefined;

  afterAll(async () => {
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('forecasts from the last record of every stream, inside the declared range', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-file-end-'));
    const rows = ['stream,timestamp,value'];
    for (let i = 0; i < STEPS; i++) {
      const t = new Date(START + i * HOUR).toISOString();
      // A series near zero that never goes below it: unbounded bands would.
      rows.push(`a,${t},${(0.5 + 0.5 * Math.sin(i / 3)) * (i % 7 === 0 ? 0 : 1)}`);
      rows.push(`b,${t},${10 + 5 * Math.cos(i / 4)}`);
    }
    await writeFile(join(dir, 'in.csv'), `${rows.join('\n')}\n`);
    await writeFile(
      join(dir, 'p.yaml'),
      [
        'name: ends',
        'step_ms: 3600000',
        'fields: [{ name: value, aggregation: last }]',
        `sources: [{ kind: file, name: f, path: ${join(dir, 'in.csv')}, key_column: stream, replay: { speedup: 100000000 } }]`,
        'model: { cell: gru, units: 4, horizon: 6, range: positive }',
        'training: { offline: { steps: 48, epochs: 2 } }',
        `state: { dir: ${join(dir, 'state')} }`,
      ].join('\n'),
    );
    daemon = await startDaemon(join(dir, 'p.yaml'));
    const d = daemon;
    const last = START + (STEPS - 1) * HOUR;
    const streams = await waitFor(
      'the last step of both streams',
      async () => {
        const s = (await getJson<{ streams: ApiStream[] }>(`${d.url}/api/streams`)).streams;
        return s.length === 2 && s.every((x) => x.latestForecast?.t === last) ? s : undefined;
      },
      60_000,
    );
    for (const s of streams) {
      const f = s.latestForecast as NonNullable<ApiStream['latestForecast']>;
      for (const v of [...f.mean, ...f.lower]) expect(v).toBeGreaterThanOrEqual(0);
    }
  });
});

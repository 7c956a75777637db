import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { BIN, REPO } from './daemon-harness.js';

// `tidecast train` then `tidecast replay` with model.path: the trained model (tfjs-layers files) is
// the model the replay's own fit at start would have produced, so both replays forecast bit for bit
// the same.

const run = promisify(execFile);

describe('tidecast train + replay with model.path', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-train-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a model that replay loads, equal to the fit at start', async () => {
    const doc = parseDocument(await readFile(join(REPO, 'pipelines/demo.yaml'), 'utf8'));
    doc.setIn(['pipelines', 0, 'training', 'offline'], doc.createNode({ steps: 200, epochs: 3, max_time_ms: 600_000 }));
    const fitting = join(dir, 'fit.yaml');
    await writeFile(fitting, doc.toString());
    const modelDir = join(dir, 'model');
    doc.setIn(['pipelines', 0, 'model', 'path'], modelDir);
    const loading = join(dir, 'load.yaml');
    await writeFile(loading, doc.toString());

    const train = await run(process.execPath, [BIN, 'train', fitting, '--pipeline', 'weather', '-i', 'data/weather.csv', '-o', modelDir], {
      cwd: REPO,
    });
    const done = train.stderr
      .split('\n')
      .filter((l) => l.includes('Model trained and written.'))
      .map((l) => JSON.parse(l) as { epochs: number; initialLoss: number; finalLoss: number; version: string });
    expect(done).toHaveLength(1);
    expect(done[0].epochs).toBe(3);
    expect(done[0].finalLoss).toBeLessThan(done[0].initialLoss);
    expect(JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8'))).toMatchObject({ format: 'layers-model' });

    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const ra = await run(process.execPath, [BIN, 'replay', fitting, '--pipeline', 'weather', '-i', 'data/weather.csv', '-o', a], {
      cwd: REPO,
    });
    const rb = await run(process.execPath, [BIN, 'replay', loading, '--pipeline', 'weather', '-i', 'data/weather.csv', '-o', b], {
      cwd: REPO,
    });
    expect(ra.stderr).toContain('Model fitted offline on the start of the data.');
    expect(rb.stderr).toContain('Model loaded.');
    const rowsA = await readFile(a, 'utf8');
    const rowsB = await readFile(b, 'utf8');
    expect(rowsB.split('\n').length).toBeGreaterThan(1000);
    // The same forecasts bit for bit. The scores differ: the fit at start leaves the rows it trained
    // on (its first 200 steps per stream) unscored, while a loaded model has no such window.
    const forecastsOf = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => l.split(',').slice(0, 6).join(','));
    expect(forecastsOf(rowsB)).toEqual(forecastsOf(rowsA));
    const scoredIn = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .slice(1)
        .filter((l) => l.split(',')[6] !== '').length;
    expect(scoredIn(rowsA)).toBeLessThan(scoredIn(rowsB));
    // A trained model is not the persistence forecast of the untrained init.
    const rows = rowsB
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const prev = new Map<string, string>();
    let differ = 0;
    for (const r of rows) {
      if (prev.has(r[1]) && Number(r[3]) !== Number(prev.get(r[1]))) differ++;
      prev.set(r[1], r[2]);
    }
    expect(differ).toBeGreaterThan(rows.length / 2);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSourceConfig } from './config.js';
import { FileSource } from './file-source.js';
import { measureSampleLap } from './sample-lap.js';

// `loop: true`: the file replays forever, lap n shifted by n × (span + smallest step), positions
// counting on across laps; a source restored from a mid-lap position continues with exactly the
// records the uninterrupted run had there. `replay`/`train` (unpaced) read the file once.

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
let dir: string;
let path: string;

interface Rec {
  offset: number;
  key: string;
  t: number;
  value: number;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-loop-'));
  path = join(dir, 'sample.csv');
  const rows = ['stream,timestamp,value'];
  for (let i = 0; i < 5; i++) {
    const t = new Date(T0 + i * H).toISOString();
    rows.push(`a,${t},${i}`, `b,${t},${100 + i}`);
    if (i === 2) rows.push('b,not-a-time,7');
  }
  await writeFile(path, `${rows.join('\n')}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function source(paced = true): FileSource {
  // A huge speedup: paced code paths, no waiting.
  const cfg = FileSourceConfig.parse({ path, key_column: 'stream', loop: true, replay: { speedup: 1e12, max_batch_records: 3 } });
  return new FileSource(cfg, { name: 'sample', paced });
}

/** Records (and batch-end positions) from `from` until `rows` data rows have been passed. */
async function read(src: FileSource, from: number, untilOffset: number): Promise<{ recs: Rec[]; positions: number[]; dead: number[] }> {
  const ac = new AbortController();
  const recs: Rec[] = [];
  const positions: number[] = [];
  const dead: number[] = [];
  for await (const b of src.batches(ac.signal, from)) {
    for (const o of b.observations) recs.push({ offset: Number(o.origin?.offset), key: o.key, t: o.eventTime, value: o.fields.value });
    for (const d of b.deadLetters) dead.push(Number(d.origin?.offset));
    positions.push(b.position);
    if (b.position >= untilOffset) ac.abort();
  }
  return { recs, positions, dead };
}

describe('file source loop', () => {
  it('measures the lap: 11 data rows, shift = 4 h span + 1 h step', async () => {
    expect(await measureSampleLap(FileSourceConfig.parse({ path, key_column: 'stream' }))).toEqual({
      rows: 11,
      observing: 10,
      shiftMs: 5 * H,
    });
  });

  it('replays forever with each lap shifted by the span, positions counting on', async () => {
    const { recs, positions, dead } = await read(source(), 0, 30);
    const lap = (n: number) => recs.filter((r) => r.offset >= n * 11 && r.offset < (n + 1) * 11);
    expect(lap(0)).toHaveLength(10);
    expect(lap(1)).toHaveLength(10);
    expect(lap(0).map((r) => r.t)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4].map((i) => T0 + i * H));
    expect(lap(1).map((r) => r.t)).toEqual(lap(0).map((r) => r.t + 5 * H));
    expect(lap(2).map((r) => r.t)).toEqual(
      lap(0)
        .slice(0, lap(2).length)
        .map((r) => r.t + 10 * H),
    );
    expect(lap(1).map((r) => [r.key, r.value])).toEqual(lap(0).map((r) => [r.key, r.value]));
    // Every stream's times keep increasing across the lap boundaries.
    for (const key of ['a', 'b']) {
      const ts = recs.filter((r) => r.key === key).map((r) => r.t);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
    }
    expect(dead).toEqual([6, 17, 28]);
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThanOrEqual(positions[i - 1]);
    expect(Math.max(...positions)).toBeGreaterThanOrEqual(30);
  });

  it('restored from a mid-lap position, continues exactly where the uninterrupted run was', async () => {
    const whole = await read(source(), 0, 40);
    const resumeAt = whole.positions.find((p) => p > 14 && p % 11 !== 0) as number;
    expect(resumeAt).toBeGreaterThan(11);
    const resumed = await read(source(), resumeAt, 40);
    const expected = whole.recs.filter((r) => r.offset >= resumeAt && r.offset < 40);
    expect(resumed.recs.filter((r) => r.offset < 40)).toEqual(expected);
    expect(expected[0].t).toBe(whole.recs.find((r) => r.offset === expected[0].offset - 11)!.t + 5 * H);
  });

  it('reads the file once for replay and train (unpaced)', async () => {
    const { recs, positions } = await read(source(false), 0, Infinity);
    expect(recs).toHaveLength(10);
    expect(positions[positions.length - 1]).toBe(11);
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TidecastError } from '../../src/core/errors.js';
import type { DeadLetter } from '../../src/core/types.js';
import type { LineWriter } from './connect.js';
import { DurableWriter, type DurableWriterOptions } from './durable-writer.js';

/** A line store that can be switched off (connection refused) and refuses lines containing "bad". */
class Store implements LineWriter {
  readonly lines: string[] = [];
  readonly requests: number[] = [];
  up = true;
  write(lines: readonly string[]): Promise<void> {
    this.requests.push(lines.length);
    if (!this.up) return Promise.reject(new TidecastError('connect ECONNREFUSED', 'broker_down', true));
    if (lines.some((l) => l.includes('bad')))
      return Promise.reject(new TidecastError('HTTP 400: field type conflict', 'sink_rejected', false));
    this.lines.push(...lines);
    return Promise.resolve();
  }
}

const lines = (from: number, n: number, prefix = 'p'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix} v=${from + i} ${from + i}`);
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

let dir: string;
let opts: DurableWriterOptions;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-dw-'));
  opts = {
    batchSize: 100,
    maxBuffered: 250,
    spillPath: join(dir, 'spill.jsonl'),
    closeTimeoutMs: 200,
    retry: { initial_ms: 1, max_ms: 4, factor: 2, jitter: 0 },
  };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !cond(); i++) await tick();
  expect(cond()).toBe(true);
}

describe('DurableWriter', () => {
  it('batches up to batchSize lines per request, in order', async () => {
    const store = new Store();
    const w = new DurableWriter(store, opts);
    await Promise.all([w.write(lines(0, 30)), w.write(lines(30, 250))]);
    await w.close();
    expect(store.lines).toEqual(lines(0, 280));
    expect(Math.max(...store.requests)).toBeLessThanOrEqual(100);
    expect(store.requests.reduce((a, b) => a + b, 0)).toBe(280);
  });

  it('retries while the server is down and delivers everything, in order, once it returns', async () => {
    const store = new Store();
    store.up = false;
    const w = new DurableWriter(store, { ...opts, maxBuffered: 10_000 });
    const done = w.write(lines(0, 150));
    await until(() => w.stats.failures >= 5);
    expect(w.degraded).toBe(true);
    store.up = true;
    await done;
    expect(store.lines).toEqual(lines(0, 150));
    expect(w.degraded).toBe(false);
    await w.close();
  });

  it('spills beyond the bound while down, acknowledges spilled writes, and replays them on recovery', async () => {
    const store = new Store();
    store.up = false;
    const w = new DurableWriter(store, opts);
    const writes = [];
    for (let i = 0; i < 10; i++) writes.push(w.write(lines(i * 50, 50)));
    await until(() => w.stats.spilled > 0);
    expect(w.buffered).toBeLessThanOrEqual(opts.maxBuffered);
    store.up = true;
    await Promise.all(writes);
    await until(() => w.stats.replayed === w.stats.spilled);
    await until(() => new Set(store.lines).size === 500);
    await w.close();
    expect([...new Set(store.lines)].sort()).toEqual(lines(0, 500).sort());
    expect(await readFile(opts.spillPath, 'utf8')).toBe(''); // emptied once replayed
  });

  it('dead-letters only the lines the server refuses and delivers the rest of their batch', async () => {
    const store = new Store();
    const dead: DeadLetter<string>[] = [];
    const w = new DurableWriter(store, opts, { deadLetter: (d) => dead.push(d) });
    const batch = lines(0, 40);
    batch[7] = 'bad one';
    batch[31] = 'bad two';
    await w.write(batch);
    await w.close();
    expect(dead.map((d) => [d.record, d.code])).toEqual([
      ['bad one', 'sink_rejected'],
      ['bad two', 'sink_rejected'],
    ]);
    expect([...store.lines].sort()).toEqual(batch.filter((l) => !l.startsWith('bad')).sort());
  });

  it('on close while down spills what is left, and the next writer replays it', async () => {
    const store = new Store();
    store.up = false;
    const w = new DurableWriter(store, opts);
    const pending = w.write(lines(0, 120));
    await until(() => w.stats.failures >= 2);
    await w.close();
    await pending;
    expect(store.lines).toEqual([]);
    store.up = true;
    const again = new DurableWriter(store, opts);
    await until(() => store.lines.length === 120);
    await again.close();
    expect(store.lines).toEqual(lines(0, 120));
  });

  it('dead-letters spill file lines that are not JSON strings and replays the others', async () => {
    await writeFile(opts.spillPath, `${JSON.stringify('a v=1 1')}\n{broken\n${JSON.stringify('a v=2 2')}\n`);
    const store = new Store();
    const dead: DeadLetter<string>[] = [];
    const w = new DurableWriter(store, opts, { deadLetter: (d) => dead.push(d) });
    await until(() => store.lines.length === 2);
    await w.close();
    expect(store.lines).toEqual(['a v=1 1', 'a v=2 2']);
    expect(dead.map((d) => [d.record, d.code])).toEqual([['{broken', 'state_corrupt']]);
  });

  it('refuses writes after close', async () => {
    const w = new DurableWriter(new Store(), opts);
    await w.close();
    await expect(w.write(['x v=1 1'])).rejects.toMatchObject({ code: 'sink_rejected' });
  });
});

describe('DurableWriter with the server up', () => {
  it('replays a spill made while idle without waiting for another write', async () => {
    const store = new Store();
    const w = new DurableWriter(store, { ...opts, maxBuffered: 10 });
    await w.write(lines(100, 1)); // the pump is idle after this
    await tick();
    await w.write(lines(0, 40)); // over the bound at once: spilled, then replayed by the idle pump
    await until(() => store.lines.length >= 41);
    await w.close();
    expect([...new Set(store.lines)].sort()).toEqual([...lines(100, 1), ...lines(0, 40)].sort());
  });
});

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpillFile } from './spill-file.js';

// The evicted streams' scratch file: records come back as they went in, a key written again replaces
// its record, and dead space is reclaimed by a rewrite once it outweighs the live records.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-spill-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Records of n bytes each, filled with a pattern of their key's number, back to back. */
function records(ids: number[], n: number): { keys: string[]; starts: number[]; bytes: Uint8Array } {
  const bytes = new Uint8Array(ids.length * n);
  ids.forEach((id, i) => {
    for (let j = 0; j < n; j++) bytes[i * n + j] = (id * 31 + j) & 0xff;
  });
  return { keys: ids.map((id) => `k${id}`), starts: ids.map((_, i) => i * n), bytes };
}

const expected = (id: number, n: number): number[] => Array.from({ length: n }, (_, j) => (id * 31 + j) & 0xff);

describe('SpillFile', () => {
  it('gives records back, replaces rewritten keys, and compacts dead space', async () => {
    const path = join(dir, 'a.spill');
    const f = new SpillFile(path, 1000);
    const ids = Array.from({ length: 100 }, (_, i) => i);
    const a = records(ids, 40);
    f.append(a.keys, a.starts, a.bytes);
    expect(f.size).toBe(100);
    expect(f.bytes).toBe(4000);
    expect([...(f.read('k7') as Uint8Array)]).toEqual(expected(7, 40));
    // k3 written again, longer: the new record wins, the old one is dead space.
    const b = records([3], 64);
    f.append(b.keys, b.starts, b.bytes);
    expect([...(f.read('k3') as Uint8Array)]).toEqual(expected(3, 64));
    expect(f.bytes).toBe(4000 - 40 + 64);
    // Taking most of them back: the file is rewritten once dead bytes outweigh the live ones.
    for (let i = 0; i < 80; i++) expect([...(f.take(`k${i}`) as Uint8Array)]).toEqual(expected(i, i === 3 ? 64 : 40));
    expect(f.take('k5')).toBeUndefined();
    expect(f.size).toBe(20);
    // Rewritten at least once (4064 bytes were written), and never more than the minimum dead space behind.
    expect(f.fileBytes).toBeLessThan(4064);
    expect(f.fileBytes - f.bytes).toBeLessThan(1000);
    expect((await stat(path)).size).toBe(f.fileBytes);
    const seen: string[] = [];
    f.forEachRecord((key, rec) => {
      seen.push(key);
      expect([...rec]).toEqual(expected(Number(key.slice(1)), 40));
    });
    expect(seen).toEqual(ids.slice(80).map((i) => `k${i}`));
    f.close();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});

import { existsSync, readlinkSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSink } from './file-sink.js';
import { FileSinkConfig } from './config.js';

// The daemon flushes a sink from three places at once (batch loop, idle timer, checkpoint). Before
// flushes were serialised, two of them could each open a handle; the extra one was only closed by
// garbage collection, which Node reports as DEP0137 at shutdown.

/** Descriptors of this process open on `path` (Linux /proc; empty where there is none). */
function openDescriptorsOn(path: string): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) out.push(fd);
    } catch {
      // closed between the listing and the readlink
    }
  }
  return out;
}

/** Forces a full garbage collection: a FileHandle still open then is closed by GC with a warning. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('FileSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-file-sink-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('closes its only handle after concurrent flushes, and keeps every line in order', async () => {
    const path = join(dir, 'out', 'forecasts.jsonl');
    const sink = new FileSink(FileSinkConfig.parse({ forecasts_path: path, fsync: true }));
    for (let i = 0; i < 3; i++) sink.write('forecasts', { i });
    const first = sink.flush(false);
    for (let i = 3; i < 6; i++) sink.write('forecasts', { i });
    await Promise.all([first, sink.flush(true), sink.flush(false)]);
    sink.write('forecasts', { i: 6 });
    const closing = sink.close();
    await sink.flush(false); // after close was asked for: waits for it, opens nothing new
    await closing;

    expect(openDescriptorsOn(path)).toEqual([]);
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    expect(lines).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('leaves no FileHandle for garbage collection to close (no DEP0137)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => {
      warnings.push(`${w.code ?? w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const sink = new FileSink(FileSinkConfig.parse({ forecasts_path: join(dir, 'f.jsonl'), alerts_path: join(dir, 'a.jsonl') }));
      sink.write('forecasts', { t: 1, mean: new Float32Array([1.5, Number.NaN]) });
      sink.write('alerts', { id: 'a' });
      await Promise.all([sink.flush(false), sink.flush(true), sink.flush(false), sink.flush(true)]);
      await sink.close();
      collectGarbage();
      // Warnings are emitted on a later tick.
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings.filter((w) => w.includes('garbage collection'))).toEqual([]);
      expect(await readFile(join(dir, 'f.jsonl'), 'utf8')).toBe('{"t":1,"mean":[1.5,null]}\n');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

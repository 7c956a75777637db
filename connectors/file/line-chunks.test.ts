import { mkdtemp, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineChunks } from './line-chunks.js';

async function viaReadline(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) out.push(line);
  return out;
}

async function viaChunks(path: string, highWaterMark: number): Promise<string[]> {
  const out: string[] = [];
  for await (const lines of lineChunks(path, highWaterMark)) out.push(...lines);
  return out;
}

describe('lineChunks', () => {
  it('splits exactly as readline (crlfDelay Infinity): \\n, \\r\\n, lone \\r, blank lines, no final newline, breaks across reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'line-chunks-'));
    const texts = [
      '',
      '\n',
      '\r\n',
      '\r',
      'a',
      'a\n',
      'a\r\nb\r\n',
      'a\rb\rc',
      'a\n\nb\r\n\r\nc\r\r\nd',
      'x,1\r\ny,2\n\rz,3\r',
      'é,ü\r\nß,漢字\n',
      `${'long,line,'.repeat(40)}\r\n${'b'.repeat(97)}\r\r\n\n`,
    ];
    for (const [n, text] of texts.entries()) {
      const path = join(dir, `t${n}.csv`);
      await writeFile(path, text);
      const expected = await viaReadline(path);
      // Tiny reads put every line end (and every \r\n) across a read boundary somewhere.
      for (const hwm of [1, 2, 3, 7, 65536]) expect(await viaChunks(path, hwm)).toEqual(expected);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PageQuery, PageReader, PageRow } from './page-query.js';
import { scanPages } from './scan-pages.js';

/** Rows sorted by time then tag, served the way the server pages them: WHERE time in range, LIMIT/OFFSET. */
function arrayReader(all: PageRow[], log: PageQuery[] = []): PageReader {
  const sorted = [...all].sort((a, b) => a.time - b.time || String(a.tags[0]).localeCompare(String(b.tags[0])));
  return {
    readPage(q) {
      log.push(q);
      const inRange = sorted.filter((r) => r.time >= q.start && (q.stop === undefined || r.time < q.stop));
      return Promise.resolve(inRange.slice(q.offset, q.offset + q.limit));
    },
  };
}

const row = (time: number, tag: string): PageRow => ({ time, tags: [tag], values: [time] });
const base = { measurement: 'm', fields: ['v'], tags: ['s'], tagFilter: {} };

async function collect(reader: PageReader, limit: number, start: number, stop?: number, windowMs?: number): Promise<PageRow[]> {
  const out: PageRow[] = [];
  for await (const page of scanPages(reader, { ...base, limit }, start, stop, undefined, windowMs)) out.push(...page);
  return out;
}

describe('scanPages', () => {
  it('crosses page boundaries inside a timestamp without repeating or losing rows', async () => {
    const rows = [row(1, 'a'), row(1, 'b'), row(1, 'c'), row(1, 'd'), row(1, 'e'), row(2, 'a'), row(3, 'a')];
    const log: PageQuery[] = [];
    expect(await collect(arrayReader(rows, log), 2, 0)).toEqual(rows);
    expect(log.map((q) => [q.start, q.offset])).toEqual([
      [0, 0],
      [1, 2],
      [1, 4],
      [2, 1],
    ]);
  });

  it('bounds each request to the window when one is given, and steps over empty windows', async () => {
    const rows = [row(1, 'a'), row(2, 'a'), row(3, 'a'), row(25, 'a')];
    const log: PageQuery[] = [];
    expect(await collect(arrayReader(rows, log), 2, 0, 30, 10)).toEqual(rows);
    expect(log.map((q) => [q.start, q.stop, q.offset])).toEqual([
      [0, 10, 0],
      [2, 12, 1],
      [12, 22, 0],
      [22, 30, 0],
    ]);
  });

  it('returns exactly the rows of [start, stop) in order, for any data, page size and window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('a', 'b', 'c', 'd')), { maxLength: 80 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 5, max: 31 }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        async (pairs, limit, start, stop, windowMs) => {
          const unique = [...new Map(pairs.map(([t, s]) => [`${t}/${s}`, row(t, s)])).values()];
          const expected = unique
            .filter((r) => r.time >= start && r.time < stop)
            .sort((a, b) => a.time - b.time || String(a.tags[0]).localeCompare(String(b.tags[0])));
          expect(await collect(arrayReader(unique), limit, start, stop, windowMs)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

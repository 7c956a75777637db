import { describe, expect, it } from 'vitest';

// The dashboard's paged stream list (stream-pages.js, plain browser JS) against a fake GET /api/streams
// that pages a list the test grows: streams that appear after the page opened must reach the list.

interface Stream {
  key: string;
}
interface PagesClass {
  new (
    getJson: (url: string) => Promise<unknown>,
  ): {
    count: number;
    at(i: number): Stream | undefined;
    loadMore(): Promise<boolean>;
    refresh(first: number, last: number): Promise<void>;
  };
}
// A plain .js module without types: imported by a computed path so tsc leaves it alone.
const pagesPath = './stream-pages.js';
const { StreamPages } = (await import(pagesPath)) as { StreamPages: PagesClass };

/** GET /api/streams over `keys` (sorted), `limit` per page, the cursor being the last key sent. */
function fakeServer(keys: string[]) {
  return async (url: string) => {
    const q = new URL(url, 'http://x');
    const limit = Number(q.searchParams.get('limit'));
    const after = q.searchParams.get('cursor');
    const from = after === null ? 0 : keys.findIndex((k) => k > after);
    const rest = from < 0 ? [] : keys.slice(from);
    const page = rest.slice(0, limit);
    return { streams: page.map((key) => ({ key })), next_cursor: rest.length > limit ? page[page.length - 1] : null };
  };
}

describe('StreamPages', () => {
  it('lists streams that appear after an empty first answer', async () => {
    const keys: string[] = [];
    const pages = new StreamPages(fakeServer(keys));
    expect(await pages.loadMore()).toBe(false);
    expect(pages.count).toBe(0);
    keys.push('weather/a', 'weather/b');
    expect(await pages.loadMore()).toBe(true);
    expect(pages.count).toBe(2);
    expect(pages.at(0)?.key).toBe('weather/a');
  });

  it('loads streams added after a full last page once the list asks for more', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `s/${String(i).padStart(4, '0')}`);
    const pages = new StreamPages(fakeServer(keys));
    expect(await pages.loadMore()).toBe(true);
    expect(pages.count).toBe(200);
    expect(await pages.loadMore()).toBe(false);
    keys.push('s/9999');
    await pages.refresh(0, 200);
    expect(await pages.loadMore()).toBe(true);
    expect(pages.count).toBe(201);
    expect(pages.at(200)?.key).toBe('s/9999');
  });
});

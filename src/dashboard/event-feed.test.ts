import { afterEach, describe, expect, it, vi } from 'vitest';

// The dashboard's live feed over fetch() (event-feed.js, plain browser JS, no types): events reach
// the page, a dropped connection comes back with growing delays, a 401 stops it, a bad event is skipped.

type State = 'connecting' | 'live' | 'reconnecting' | 'signed-out';
interface FeedOptions {
  open: (url: string, signal: AbortSignal) => Promise<Response>;
  onEvent: (type: string, data: string) => void;
  onState: (state: State) => void;
  retryMs?: number;
}
type FeedClass = new (url: string, options: FeedOptions) => { start(): void; close(): void };
// A plain .js module without types: imported by a computed path so tsc leaves it alone.
const feedPath = './event-feed.js';
const { EventFeed } = (await import(feedPath)) as { EventFeed: FeedClass };

/** A response whose body is `text` in chunks of 7 characters, then ends (the server went away). */
function sse(text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const until = async (f: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('dashboard event feed (fetch + stream reader)', () => {
  it('delivers events, reconnects after the stream ends, and skips an event the page cannot read', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const opens: number[] = [];
    const events: string[] = [];
    const states: State[] = [];
    const feed = new EventFeed('/api/events?stream=a', {
      open: async () => {
        opens.push(Date.now());
        return sse(`retry: 20\nevent: hello\ndata: {}\n\nevent: actual\ndata: not json\n\nevent: actual\ndata: {"n":${opens.length}}\n\n`);
      },
      onEvent: (type, data) => {
        if (type === 'actual') events.push(JSON.stringify(JSON.parse(data)));
      },
      onState: (s) => states.push(s),
    });
    feed.start();
    await until(() => opens.length >= 3);
    feed.close();
    expect(events.slice(0, 2)).toEqual(['{"n":1}', '{"n":2}']);
    expect(states.slice(0, 4)).toEqual(['connecting', 'live', 'reconnecting', 'live']);
    // Each connection said hello, so every retry waited about the server's 20 ms (±25%), not more.
    expect(opens[2] - opens[1]).toBeLessThan(1000);
    expect(console.warn).toHaveBeenCalled();
  });

  it('waits longer after each failed attempt in a row', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const opens: number[] = [];
    const feed = new EventFeed('/api/events', {
      open: async () => {
        opens.push(performance.now());
        return new Response('down', { status: 503 });
      },
      onEvent: () => undefined,
      onState: () => undefined,
      retryMs: 20,
    });
    feed.start();
    await until(() => opens.length >= 5);
    feed.close();
    const gaps = opens.slice(1).map((t, i) => t - opens[i]);
    // 20, 40, 80, 160 ms, each -25%..+25% (timers never fire early; a loaded machine only adds).
    expect(gaps[3]).toBeGreaterThanOrEqual(160 * 0.75 - 2);
    expect(gaps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300 * 0.75 - 4);
  });

  it('stops on a 401 (AuthRequired) and does not retry until started again', async () => {
    let opens = 0;
    const states: State[] = [];
    const feed = new EventFeed('/api/events', {
      open: async () => {
        opens++;
        throw Object.assign(new Error('HTTP 401'), { name: 'AuthRequired' });
      },
      onEvent: () => undefined,
      onState: (s) => states.push(s),
      retryMs: 5,
    });
    feed.start();
    await until(() => states.includes('signed-out'));
    await new Promise((r) => setTimeout(r, 100));
    expect(opens).toBe(1);
    expect(states).toEqual(['connecting', 'signed-out']);
  });
});

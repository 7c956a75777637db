import type { ServerResponse } from 'node:http';
import type { ForecastStore, StoreEvent } from './forecast-store.js';

// One server-sent-events client. Store events are queued and written together every `flushMs`, so
// a fast replay costs one socket write per tick instead of one per step. The queue is bounded: a
// slow client loses its oldest events (counted in the next `dropped` event) instead of growing memory.

export interface EventStreamOptions {
  /** Only this stream's actual/forecast events (alerts and pipeline events always pass). */
  readonly stream?: string;
  /** Event types wanted; all by default. */
  readonly types?: ReadonlySet<StoreEvent['type']>;
  readonly flushMs: number;
  readonly heartbeatMs: number;
  readonly maxQueued: number;
}

export function streamEvents(store: ForecastStore, res: ServerResponse, options: EventStreamOptions): () => void {
  let queue: string[] = [];
  let dropped = 0;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ subscribed: options.stream ?? '*' })}\n\n`);

  const unsubscribe = store.subscribe((e) => {
    if (options.types !== undefined && !options.types.has(e.type)) return;
    if (options.stream !== undefined && (e.type === 'actual' || e.type === 'forecast') && e.stream !== options.stream) return;
    if (queue.length >= options.maxQueued) {
      queue.shift();
      dropped++;
    }
    queue.push(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  });

  const flush = setInterval(() => {
    if (queue.length === 0 && dropped === 0) return;
    let chunk = dropped > 0 ? `event: dropped\ndata: ${JSON.stringify({ dropped })}\n\n` : '';
    chunk += queue.join('');
    queue = [];
    dropped = 0;
    res.write(chunk);
  }, options.flushMs);
  // Comments keep proxies from closing an idle connection.
  const heartbeat = setInterval(() => {
    res.write(': ping\n\n');
  }, options.heartbeatMs);

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(flush);
    clearInterval(heartbeat);
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);
  res.on('error', close);
  return close;
}

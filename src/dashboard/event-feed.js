import { SseParser } from './sse-parser.js';

// The live feed (GET /api/events) read with fetch() and a stream reader instead of EventSource, so
// the request carries the same Authorization header as every other API call and no token ever goes
// in a URL. A dropped connection comes back with growing, jittered delays (from the server's
// `retry:` up to 30 s); a 401 stops it until the user signs in again.

const MAX_DELAY_MS = 30_000;

export class EventFeed {
  /**
   * @param {string} url
   * @param {{
   *   open: (url: string, signal: AbortSignal) => Promise<Response>,
   *   onEvent: (type: string, data: string) => void,
   *   onState: (state: 'connecting' | 'live' | 'reconnecting' | 'signed-out') => void,
   *   retryMs?: number,
   * }} options  open: the session's fetch (adds the token; throws an AuthRequired error on 401);
   *   retryMs: the first reconnection delay until the server sends its own (default 1000)
   */
  constructor(url, options) {
    this.url = url;
    this.options = options;
    this.closed = false;
    this.controller = null;
    this.timer = 0;
    this.failures = 0; // in a row; a 'hello' resets it
    this.retryMs = options.retryMs ?? 1000;
  }

  start() {
    this.options.onState('connecting');
    void this.run();
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  /** @private */
  async run() {
    while (!this.closed) {
      const controller = new AbortController();
      this.controller = controller;
      try {
        const res = await this.options.open(this.url, controller.signal);
        if (!res.ok || res.body === null) throw new Error(`${this.url}: HTTP ${res.status}`);
        const parser = new SseParser(
          (type, data) => this.deliver(type, data),
          (ms) => {
            this.retryMs = ms;
          },
        );
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch (err) {
        if (this.closed) return;
        if (err?.name === 'AuthRequired') {
          this.options.onState('signed-out');
          return;
        }
        console.warn('Live feed failed.', err);
      }
      if (this.closed) return;
      this.options.onState('reconnecting');
      const delay = Math.min(MAX_DELAY_MS, this.retryMs * 2 ** Math.min(this.failures, 5)) * (0.75 + Math.random() * 0.5);
      this.failures++;
      await new Promise((resolve) => {
        this.timer = setTimeout(resolve, delay);
      });
    }
  }

  /** @private One bad event (unparsable data) is logged; the feed goes on. */
  deliver(type, data) {
    if (type === 'hello') {
      this.failures = 0;
      this.options.onState('live');
    }
    try {
      this.options.onEvent(type, data);
    } catch (err) {
      console.warn(`Live feed: bad ${type} event.`, err);
    }
  }
}

import type { RetryOptions } from './config.js';

// Exponential backoff with jitter. Sleep and randomness are injectable so tests run fast and exact.

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** A timer sleep that ends early (resolving) when the signal aborts. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: RetryOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next retry, growing with each failure since the last success. */
  next(): number {
    const base = Math.min(this.opts.max_ms, this.opts.initial_ms * this.opts.factor ** this.attempt);
    this.attempt++;
    const spread = base * this.opts.jitter;
    return Math.max(0, Math.round(base - spread + 2 * spread * this.random()));
  }

  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

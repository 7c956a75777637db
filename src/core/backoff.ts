// The one backoff of every connector that retries: the cap grows by `factor` per retry (counted
// from 1) up to maxMs, and a jitter spreads retrying senders out. Callers keep their semantics
// through the options:
//   jitter 'full'  uniform in [0, cap), floored to ms (AWS "Exponential Backoff and Jitter"): webhooks
//   jitter j       uniform in cap·[1 - j, 1 + j], rounded to ms unless round: false: InfluxDB (j from
//                  its retry section), Kafka clients (j = 0.2, unrounded, as kafkajs does)
// Randomness and sleeping are injectable so tests run fast and exact.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Cap multiplier per retry (default 2). */
  readonly factor?: number;
  readonly jitter: 'full' | number;
  /** Spread jitter only: round the delay to whole ms (default true). */
  readonly round?: boolean;
}

/** The delay before retry `retry` (1 = the first retry). `random` is uniform on [0, 1). */
export function backoffDelay(o: BackoffOptions, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(o.maxMs, o.initialMs * (o.factor ?? 2) ** Math.max(0, retry - 1));
  if (o.jitter === 'full') return Math.floor(random() * cap);
  const spread = cap * o.jitter;
  const delay = cap - spread + 2 * spread * random();
  return Math.max(0, o.round === false ? delay : Math.round(delay));
}

/** Counts failures since the last success: next() is the delay before the next retry. */
export class Backoff {
  private retries = 0;

  constructor(
    readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    this.retries++;
    return backoffDelay(this.options, this.retries, this.random);
  }

  get failures(): number {
    return this.retries;
  }

  reset(): void {
    this.retries = 0;
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** A timer sleep that ends early, resolving, when the signal aborts (the caller then sees the abort itself). */
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

/** A timer sleep that rejects with the signal's reason at once when it aborts. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

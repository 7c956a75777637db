import type { Observable, Subscription } from 'rxjs';

/**
 * Pulls an Observable as an async iterable of what arrived since the last pull, as arrays (never empty)
 * of at most `maxWeight` in all (a heavier item alone). A consumer that is slower than its source takes
 * the batches that queued meanwhile in one go instead of one after the other: under load its batches
 * grow, so the per-batch costs (an output write, a changelog flush, each a broker round trip) are paid
 * once for many. The source's own in-flight limit bounds the buffer.
 */
export async function* toAsyncGroups<T>(
  obs: Observable<T>,
  signal: AbortSignal,
  weight: (item: T) => number = () => 1,
  maxWeight = Infinity,
): AsyncGenerator<T[]> {
  let buffer: T[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const sub: Subscription = obs.subscribe({
    next: (v) => {
      buffer.push(v);
      notify();
    },
    error: (e: unknown) => {
      failure = e;
      done = true;
      notify();
    },
    complete: () => {
      done = true;
      notify();
    },
  });
  const onAbort = () => {
    done = true;
    notify();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (buffer.length > 0) {
        let n = 1;
        for (let w = weight(buffer[0]); n < buffer.length && w + weight(buffer[n]) <= maxWeight; n++) w += weight(buffer[n]);
        const group = n === buffer.length ? buffer : buffer.slice(0, n);
        buffer = n === buffer.length ? [] : buffer.slice(n);
        yield group;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (done) return;
      await new Promise<void>((res) => (wake = res));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    sub.unsubscribe();
  }
}

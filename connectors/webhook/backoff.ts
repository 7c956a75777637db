// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
// the wait before retry n is uniform in [0, min(max, initial·2^(n-1))], so retrying senders spread out.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Uniform on [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
}

export function backoffDelay(policy: BackoffPolicy, retry: number): number {
  const cap = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(policy.random() * cap);
}

/** Resolves after ms, or rejects at once when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// Timing helpers for the step benchmark: warm up, then repeat until a time budget is spent.

export interface Rate {
  /** Calls per second. */
  readonly callsPerSec: number;
  readonly calls: number;
}

export async function measure(fn: () => unknown, budgetMs: number, minCalls = 3): Promise<Rate> {
  const warmEnd = performance.now() + Math.min(300, budgetMs / 3);
  let warm = 0;
  while (warm < 1 || performance.now() < warmEnd) {
    await fn();
    warm++;
  }
  const start = performance.now();
  let calls = 0;
  while (calls < minCalls || performance.now() - start < budgetMs) {
    await fn();
    calls++;
  }
  return { callsPerSec: calls / ((performance.now() - start) / 1000), calls };
}

/** Synchronous variant: no await per call, so tiny calls are not dominated by microtask hops. */
export function measureSync(fn: () => void, budgetMs: number, minCalls = 3): Rate {
  const warmEnd = performance.now() + Math.min(300, budgetMs / 3);
  let warm = 0;
  while (warm < 2 || performance.now() < warmEnd) {
    fn();
    warm++;
  }
  const start = performance.now();
  let calls = 0;
  while (calls < minCalls || performance.now() - start < budgetMs) {
    for (let i = 0; i < 8; i++) fn();
    calls += 8;
  }
  return { callsPerSec: calls / ((performance.now() - start) / 1000), calls };
}

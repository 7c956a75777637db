// Delivers each batch to several sinks at once; a failing sink is counted and reported, never thrown,
// so one broken webhook cannot stop the log or Kafka from getting the alert.
import type { AlertEvent, AlertSink } from '../core/alert-event.js';

export class FanOutSink implements AlertSink {
  readonly kind = 'fan-out';
  /** Failed batches per sink kind (by position when kinds repeat: "webhook#1"). */
  readonly failures = new Map<string, number>();
  private readonly names: readonly string[];

  constructor(
    private readonly sinks: readonly AlertSink[],
    private readonly onError: (sink: string, error: unknown) => void = () => {},
  ) {
    this.names = sinks.map((s, i) => (sinks.filter((o) => o.kind === s.kind).length > 1 ? `${s.kind}#${i}` : s.kind));
    for (const n of this.names) this.failures.set(n, 0);
  }

  async write(batch: readonly AlertEvent[], signal?: AbortSignal): Promise<void> {
    if (batch.length === 0) return;
    const results = await Promise.allSettled(this.sinks.map((s) => s.write(batch, signal)));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      this.failures.set(this.names[i], (this.failures.get(this.names[i]) ?? 0) + 1);
      this.onError(this.names[i], r.reason);
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sinks.map((s) => s.close()));
  }
}

import type { ComponentMetrics } from './context.js';

// Plain numeric counters bumped on the hot path and pushed to the metrics interface in batches, so
// a prom-client implementation is not called per event.

export class PipelineCounters {
  received = 0;
  sent = 0;
  deadLetters = 0;
  replaced = 0;
  lateAccepted = 0;
  overflows = 0;
  imputedSteps = 0;
  brokenGaps = 0;
  brokenSteps = 0;
  private readonly reported = new Float64Array(9);

  /** Sends what changed since the last report. Dead letters are counted as errors when they happen. */
  report(m: ComponentMetrics): void {
    const now = [
      this.received,
      this.sent,
      this.deadLetters,
      this.replaced,
      this.lateAccepted,
      this.overflows,
      this.imputedSteps,
      this.brokenGaps,
      this.brokenSteps,
    ];
    const d = (i: number): number => now[i] - this.reported[i];
    m.received(d(0));
    m.sent(d(1));
    m.count('duplicates_replaced', d(3));
    m.count('late_accepted', d(4));
    m.count('buffer_overflows', d(5));
    m.count('imputed_steps', d(6));
    m.count('broken_gaps', d(7));
    m.count('broken_gap_steps', d(8));
    this.reported.set(now);
  }
}

// Storm control: at most K notifications per minute-window per pipeline; the rest are held back and
// one summary alert says how many, when the window closes (checked on every step, in event time).
import type { StormSummary } from '../core/alert-event.js';

const MAX_LISTED_STREAMS = 20;

export class StormControl {
  private windowStart = NaN;
  private sent = 0;
  private suppressed = 0;
  private streams: string[] = [];

  constructor(
    readonly maxPerWindow: number,
    readonly windowMs = 60_000,
  ) {}

  /** Advances to time t; returns the summary of the window that just closed, if it held anything back. */
  roll(t: number): StormSummary | null {
    const start = Math.floor(t / this.windowMs) * this.windowMs;
    // Streams are not in lockstep: a step slightly behind counts in the current window.
    if (start <= this.windowStart) return null;
    const summary = this.summary();
    this.windowStart = start;
    this.sent = 0;
    this.suppressed = 0;
    this.streams = [];
    return summary;
  }

  /** Whether a notification at time t (after roll(t)) may go out; counts it either way. */
  admit(stream: string): boolean {
    if (this.sent < this.maxPerWindow) {
      this.sent++;
      return true;
    }
    this.suppressed++;
    if (this.streams.length < MAX_LISTED_STREAMS && !this.streams.includes(stream)) this.streams.push(stream);
    return false;
  }

  /** The summary of the current window so far (final flush), then forgets it so it is sent once. */
  flush(): StormSummary | null {
    const summary = this.summary();
    this.suppressed = 0;
    this.streams = [];
    return summary;
  }

  private summary(): StormSummary | null {
    if (this.suppressed === 0) return null;
    return {
      suppressed: this.suppressed,
      streams: this.streams,
      windowStart: this.windowStart,
      windowEnd: this.windowStart + this.windowMs,
    };
  }
}

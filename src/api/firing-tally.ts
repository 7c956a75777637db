import type { AlertEvent } from '../core/alert-event.js';

// Firing alerts per pipeline, kept up to date as alert events arrive, so GET /api/pipelines (read by
// the dashboard every 2 s) answers in O(pipelines) instead of walking every stream's active alerts
// (GET /api/alerts?limit=0 sends them all: too much at 1M streams).

/** A pipeline's firing alerts: rule instances (stream × rule) by severity, and the streams with any. */
export interface FiringCounts {
  readonly warning: number;
  readonly critical: number;
  /** Streams with at least one firing rule (group rules count their group key once). */
  readonly streams: number;
}

interface MutableCounts {
  warning: number;
  critical: number;
  streams: number;
}

export class FiringTally {
  private readonly byPipeline = new Map<string, MutableCounts>();

  /**
   * Adds (sign 1) or takes back (sign -1) one stream's active alerts. Callers take a stream's alerts
   * back before changing them and add them again after, so the tally always equals a full walk.
   */
  apply(pipeline: string, active: ReadonlyMap<string, AlertEvent> | undefined, sign: 1 | -1): void {
    if (active === undefined || active.size === 0) return;
    let warning = 0;
    let critical = 0;
    for (const a of active.values()) {
      if (a.state !== 'firing') continue;
      if (a.severity === 'critical') critical++;
      else warning++;
    }
    if (warning + critical === 0) return;
    let c = this.byPipeline.get(pipeline);
    if (c === undefined) {
      c = { warning: 0, critical: 0, streams: 0 };
      this.byPipeline.set(pipeline, c);
    }
    c.warning += sign * warning;
    c.critical += sign * critical;
    c.streams += sign;
  }

  /** A copy of one pipeline's counts (zeros when nothing fires). */
  of(pipeline: string): FiringCounts {
    const c = this.byPipeline.get(pipeline);
    return c === undefined ? { warning: 0, critical: 0, streams: 0 } : { warning: c.warning, critical: c.critical, streams: c.streams };
  }
}

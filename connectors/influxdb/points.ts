import { Point } from '@influxdata/influxdb-client';
import type { Forecast } from '../../src/core/types.js';

// Forecasts and alerts as line protocol, always through the client library's Point (escaping is its
// job, not ours). Timestamps are epoch ms, written with precision=ms on both API flavours.

/** What the sink needs to know about an alert to write it as a point. */
export interface AlertPointInput {
  readonly pipeline: string;
  readonly stream: string;
  /** Event time of the observation that changed the alert, epoch ms. */
  readonly time: number;
  readonly state: 'pending' | 'firing' | 'resolved';
  readonly severity: string;
  readonly score: number;
  readonly actual: number;
  readonly rule: string;
}

/** Converts a Point to one line with a millisecond timestamp. */
export function toLine(point: Point): string | undefined {
  return point.toLineProtocol({ convertTime: (t) => (t === undefined ? undefined : String(t)) });
}

export interface PointProblem {
  readonly field: string;
  readonly value: number;
}

/** Sets a float field, or reports it when it is not finite (Point would throw; InfluxDB cannot store it). */
function floatOrProblem(p: Point, name: string, value: number, problems: PointProblem[]): void {
  if (Number.isFinite(value)) p.floatField(name, value);
  else problems.push({ field: name, value });
}

/** One point per horizon h at t + h·step: tags pipeline, stream, horizon, model_version; fields mean, lower, upper. */
export function forecastPoints(measurement: string, f: Forecast, problems: PointProblem[] = []): Point[] {
  const points: Point[] = [];
  for (let h = 1; h <= f.mean.length; h++) {
    const p = new Point(measurement)
      .tag('pipeline', f.pipeline)
      .tag('stream', f.key)
      .tag('horizon', String(h))
      .tag('model_version', f.modelVersion)
      .timestamp(f.t + h * f.stepMs);
    floatOrProblem(p, 'mean', f.mean[h - 1], problems);
    floatOrProblem(p, 'lower', f.lower[h - 1], problems);
    floatOrProblem(p, 'upper', f.upper[h - 1], problems);
    points.push(p);
  }
  return points;
}

/**
 * The observed value at `t`, added as field `actual` to the point that the forecast made `horizon`
 * steps earlier (same series and time, so InfluxDB merges it into that point).
 */
export function actualPoint(
  measurement: string,
  pipeline: string,
  stream: string,
  horizon: number,
  modelVersion: string,
  t: number,
  actual: number,
): Point {
  return new Point(measurement)
    .tag('pipeline', pipeline)
    .tag('stream', stream)
    .tag('horizon', String(horizon))
    .tag('model_version', modelVersion)
    .floatField('actual', actual)
    .timestamp(t);
}

/** Tags pipeline, stream, rule, severity, state; fields score, actual. */
export function alertPoint(measurement: string, a: AlertPointInput, problems: PointProblem[] = []): Point {
  const p = new Point(measurement)
    .tag('pipeline', a.pipeline)
    .tag('stream', a.stream)
    .tag('rule', a.rule)
    .tag('severity', a.severity)
    .tag('state', a.state)
    .timestamp(a.time);
  floatOrProblem(p, 'score', a.score, problems);
  floatOrProblem(p, 'actual', a.actual, problems);
  return p;
}

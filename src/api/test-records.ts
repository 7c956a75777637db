import type { AlertEvent } from '../core/alert-event.js';
import type { Forecast } from '../core/types.js';

// Small builders for API tests: a forecast with given horizon values, an alert event with defaults.

export function forecastOf(
  pipeline: string,
  key: string,
  t: number,
  stepMs: number,
  mean: number[],
  halfWidth = 1,
  modelVersion = 'v1',
): Forecast {
  return {
    pipeline,
    key,
    t,
    stepMs,
    modelVersion,
    mean: Float64Array.from(mean),
    lower: Float64Array.from(mean, (m) => m - halfWidth),
    upper: Float64Array.from(mean, (m) => m + halfWidth),
  };
}

export function alertOf(over: Partial<AlertEvent> & Pick<AlertEvent, 'stream' | 'state' | 'time'>): AlertEvent {
  const rule = over.rule ?? 'deviation';
  const episodeStart = over.episodeStart ?? over.time;
  return {
    id: `${over.stream}|${rule}|${episodeStart}`,
    pipeline: 'p',
    rule,
    detector: 'score',
    severity: 'warning',
    episodeStart,
    actual: 10,
    forecast: 5,
    interval: { lower: 4, upper: 6 },
    score: 0.99,
    surprise: 2,
    level: 0.99,
    modelVersion: 'v1',
    dashboardUrl: '',
    ...over,
  };
}

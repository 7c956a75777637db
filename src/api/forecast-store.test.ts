import { describe, expect, it } from 'vitest';
import { ForecastStore, type StoreEvent } from './forecast-store.js';
import { alertOf, forecastOf } from './test-records.js';

const H = 3_600_000;

describe('ForecastStore', () => {
  it('lines up one-step forecasts with the actual they predict', () => {
    const s = new ForecastStore();
    for (let k = 0; k < 5; k++) {
      s.recordActual('weather', 'weather/a/temp', k * H, 10 + k);
      s.recordForecast(forecastOf('weather', 'weather/a/temp', k * H, H, [11 + k + 0.5, 12 + k], 2));
    }
    const d = s.stream('weather/a/temp');
    expect(d).toBeDefined();
    expect(d!.actuals.t).toEqual([0, H, 2 * H, 3 * H, 4 * H]);
    expect(d!.actuals.value).toEqual([10, 11, 12, 13, 14]);
    // The forecast made at k targets (k+1)·H with its horizon-1 values.
    expect(d!.forecasts.t).toEqual([H, 2 * H, 3 * H, 4 * H, 5 * H]);
    expect(d!.forecasts.mean).toEqual([11.5, 12.5, 13.5, 14.5, 15.5]);
    expect(d!.forecasts.lower).toEqual([9.5, 10.5, 11.5, 12.5, 13.5]);
    expect(d!.forecasts.upper).toEqual([13.5, 14.5, 15.5, 16.5, 17.5]);
    expect(d!.latestForecast).toEqual({ t: 4 * H, stepMs: H, modelVersion: 'v1', mean: [15.5, 16], lower: [13.5, 14], upper: [17.5, 18] });
    expect(d!.lastActual).toEqual({ t: 4 * H, value: 14 });
  });

  it('addedSince lists the streams added after a reader last looked, while its log reaches back', () => {
    const s = new ForecastStore({ addedLogCapacity: 4 });
    const added = (since: number) => {
      const out: string[] = [];
      return s.addedSince(since, (k, p) => out.push(`${p}:${k}`)) ? out : undefined;
    };
    s.recordActual('a', 'a/1', 0, 1);
    s.recordActual('a', 'a/1', H, 2); // not new
    s.recordActual('b', 'b/1', 0, 1);
    expect(s.streamChanges.added).toBe(2);
    expect(added(0)).toEqual(['a:a/1', 'b:b/1']);
    expect(added(1)).toEqual(['b:b/1']);
    expect(added(2)).toEqual([]);
    s.removeStream('a/1');
    s.recordActual('c', 'a/1', 0, 1); // the same key again, now in another pipeline
    expect(added(2)).toEqual(['c:a/1']);
    for (let i = 2; i <= 4; i++) s.recordActual('a', `a/${i}`, 0, 1);
    expect(s.streamChanges.added).toBe(6);
    expect(added(1)).toBeUndefined(); // the log holds the last 4 only
    expect(added(2)).toEqual(['c:a/1', 'a:a/2', 'a:a/3', 'a:a/4']);
    expect(added(7)).toBeUndefined();
  });

  it('bounds history by capacity and limit, and the sparkline by its length', () => {
    const s = new ForecastStore({ capacity: 10, sparklinePoints: 4 });
    for (let k = 0; k < 25; k++) s.recordActual('p', 'k', k, k * 2, k % 5 === 0);
    const d = s.stream('k', 3)!;
    expect(d.actuals.value).toEqual([44, 46, 48]);
    expect(d.actuals.imputed).toEqual([false, false, false]);
    expect(s.stream('k')!.actuals.t).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(s.stream('k')!.actuals.imputed[5]).toBe(true);
    expect(s.streams()[0].sparkline).toEqual([42, 44, 46, 48]);
  });

  it('tracks alert state per rule: pending, firing, then resolved clears it', () => {
    const s = new ForecastStore();
    s.recordActual('p', 'x', 0, 1);
    s.recordAlert(alertOf({ stream: 'x', state: 'pending', time: 1 }));
    expect(s.streams()[0].alert.level).toBe('pending');
    s.recordAlert(alertOf({ stream: 'x', state: 'firing', time: 2, episodeStart: 1, severity: 'critical' }));
    s.recordAlert(alertOf({ stream: 'x', state: 'pending', time: 2, rule: 'flat' }));
    let sum = s.streams()[0];
    expect(sum.alert.level).toBe('firing');
    expect(sum.alert.severity).toBe('critical');
    expect(sum.alert.active.map((a) => a.rule).sort()).toEqual(['deviation', 'flat']);
    s.recordAlert(alertOf({ stream: 'x', state: 'resolved', time: 3, episodeStart: 1 }));
    sum = s.streams()[0];
    expect(sum.alert.level).toBe('pending');
    expect(s.alerts().active.map((a) => a.rule)).toEqual(['flat']);
    expect(s.alerts().recent.map((a) => a.state)).toEqual(['resolved', 'pending', 'firing', 'pending']);
    expect(s.alerts(2).recent.length).toBe(2);
    expect(s.stream('x')!.alerts.length).toBe(4);
  });

  it('keeps storm-control summaries in the history without inventing a stream', () => {
    const s = new ForecastStore();
    s.recordAlert(alertOf({ stream: '', state: 'firing', time: 5, detector: 'storm_control' }));
    expect(s.streamKeys()).toEqual([]);
    expect(s.alerts().recent.length).toBe(1);
  });

  it('lists pipelines with their model version history', () => {
    const s = new ForecastStore();
    s.upsertPipeline({ name: 'weather', modelVersion: 'w-1', startedAt: 100 });
    s.recordActual('weather', 'weather/a', 0, 1);
    s.recordActual('weather', 'weather/b', 0, 1);
    s.setModelVersion('weather', { version: 'w-2', since: 200, reason: 'trained', validationLoss: 0.5 });
    const [p] = s.pipelines();
    expect(p.name).toBe('weather');
    expect(p.modelVersion).toBe('w-2');
    expect(p.streams).toBe(2);
    expect(p.status).toBe('running');
    expect(p.modelVersions.map((v) => v.version)).toEqual(['w-1', 'w-2']);
  });

  it('sends events to subscribers only while subscribed, and drops a throwing one', () => {
    const s = new ForecastStore();
    const seen: StoreEvent['type'][] = [];
    const off = s.subscribe((e) => seen.push(e.type));
    s.subscribe(() => {
      throw new Error('socket gone');
    });
    s.recordActual('p', 'k', 0, 1);
    s.recordForecast(forecastOf('p', 'k', 0, 1, [2]));
    s.recordAlert(alertOf({ stream: 'k', state: 'firing', time: 1 }));
    expect(s.subscriberCount).toBe(1);
    off();
    s.recordActual('p', 'k', 1, 1);
    expect(seen).toEqual(['actual', 'forecast', 'alert']);
    expect(s.subscriberCount).toBe(0);
  });

  it('returns undefined for an unknown stream and forgets a removed one', () => {
    const s = new ForecastStore();
    expect(s.stream('nope')).toBeUndefined();
    s.recordActual('p', 'k', 0, 1);
    expect(s.removeStream('k')).toBe(true);
    expect(s.streams()).toEqual([]);
  });
});

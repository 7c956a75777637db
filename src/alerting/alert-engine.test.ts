import { describe, expect, it } from 'vitest';
import { TidecastError } from '../core/errors.js';
import type { AlertEvent } from '../core/alert-event.js';
import { AlertEngine } from './alert-engine.js';
import { scoreFromZ } from './normal-tail.js';

const MIN = 60_000;
const UNIT = { mean: new Float64Array([0]), lower: new Float64Array([-2]), upper: new Float64Array([2]), logVar: new Float64Array([0]) };

/** Feeds z-values (forecast N(0, 1) every step) in virtual time; returns every event with its step index. */
function drive(engine: AlertEngine, stream: string, zs: readonly number[], t0 = 0, imputed: readonly boolean[] = []) {
  const events: Array<AlertEvent & { step: number }> = [];
  engine.step(stream, t0, MIN, 0, false, { t: t0, stepMs: MIN, modelVersion: 'm7', ...UNIT });
  zs.forEach((z, k) => {
    const t = t0 + (k + 1) * MIN;
    for (const e of engine.step(stream, t, MIN, z, imputed[k] ?? false, { t, stepMs: MIN, modelVersion: 'm7', ...UNIT }))
      events.push({ ...e, step: k });
  });
  return events;
}

function engine(rule: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return new AlertEngine('weather', {
    base_url: 'https://tidecast.example/',
    scorer: { tail_calibration: false }, // exact z in, exact score out
    rules: [{ name: 'dev', detector: 'score', warning: 0.99, critical: 0.9999, ...rule }],
    ...extra,
  });
}

describe('AlertEngine lifecycle', () => {
  it('fires only after `for` consecutive anomalous steps, with a stable id from the episode start', () => {
    const ev = drive(engine({ for: 3 }), 'w/KSEA/temp', [0, 3, 3, 0, 3, 3, 3.2, 3, 0]);
    expect(ev.map((e) => [e.state, e.step])).toEqual([['firing', 6]]);
    expect(ev[0].episodeStart).toBe(5 * MIN);
    expect(ev[0].id).toBe(`w/KSEA/temp|dev|${5 * MIN}`);
  });

  it('carries the context an operator needs', () => {
    const [e] = drive(engine({}), 'w/KSEA/temp c', [0, 3.5]);
    expect(e).toMatchObject({
      pipeline: 'weather',
      stream: 'w/KSEA/temp c',
      rule: 'dev',
      detector: 'score',
      state: 'firing',
      severity: 'warning',
      time: 2 * MIN,
      actual: 3.5,
      forecast: 0,
      interval: { lower: -2, upper: 2 },
      modelVersion: 'm7',
      dashboardUrl: 'https://tidecast.example/#/streams/w%2FKSEA%2Ftemp%20c',
    });
    expect(e.score).toBeCloseTo(scoreFromZ(3.5), 15);
    expect(e.surprise).toBeGreaterThan(3);
  });

  it('honours for_ms in event time', () => {
    const ev = drive(engine({ for_ms: 3 * MIN }), 's', [3, 3, 3, 3, 3]);
    expect(ev.map((e) => e.step)).toEqual([3]);
  });

  it('resolves with hysteresis: only below resolve_below for resolve_steps steps', () => {
    const ev = drive(engine({ resolve_below: 0.9, resolve_steps: 2 }), 's', [3, 2, 2, 0.5, 2, 0.5, 0.5, 0.5]);
    expect(ev.map((e) => [e.state, e.step])).toEqual([
      ['firing', 0],
      ['resolved', 6],
    ]);
    expect(ev[1].id).toBe(ev[0].id);
  });

  it('escalates to critical within the same episode', () => {
    const ev = drive(engine({}), 's', [3, 3, 4.5, 4.5, 0, 0, 0]);
    expect(ev.map((e) => [e.state, e.severity, e.step])).toEqual([
      ['firing', 'warning', 0],
      ['firing', 'critical', 2],
      ['resolved', 'critical', 6],
    ]);
    expect(new Set(ev.map((e) => e.id)).size).toBe(1);
  });

  it('keeps a resolved stream quiet during the cooldown, then opens a new episode', () => {
    const ev = drive(engine({ resolve_steps: 1, cooldown_ms: 5 * MIN }), 's', [3, 0, 3, 3, 0, 0, 3, 0]);
    expect(ev.map((e) => [e.state, e.step])).toEqual([
      ['firing', 0],
      ['resolved', 1],
      ['firing', 6],
      ['resolved', 7],
    ]);
    expect(ev[2].id).not.toBe(ev[0].id);
  });

  it('deduplicates: one firing event per episode however long it lasts', () => {
    const ev = drive(engine({}), 's', new Array(50).fill(3));
    expect(ev.length).toBe(1);
  });

  it('does not score imputed steps', () => {
    const e = engine({});
    const ev = drive(e, 's', [5, 5, 5, 0], 0, [true, true, true, false]);
    expect(ev).toEqual([]);
    expect(e.stats.unscored).toBe(4); // the first step has no forecast yet, then three imputed
  });

  it('fires a flatline rule on a stuck stream and resolves when it moves again', () => {
    const e = new AlertEngine('p', { rules: [{ name: 'stuck', detector: 'flatline', warning: 5, resolve_steps: 1 }] });
    const zs = [...Array.from({ length: 200 }, (_, i) => Math.sin(i) * 0.7), ...new Array(30).fill(0.25), 0.9];
    const ev = drive(e, 's', zs);
    expect(ev.map((x) => x.state)).toEqual(['firing', 'resolved']);
    // The first value of the run is step 200; repeats of a never-repeating stream are ~2.6 each.
    expect(ev[0].episodeStart).toBeGreaterThan(201 * MIN);
    expect(ev[0].step).toBeLessThan(205);
    expect(ev[1].step).toBe(230);
  });

  it('fires a variance rule on a burst of noise, not on a lone spike, and computes the combined parts for it', () => {
    const rule = { name: 'noise', detector: 'variance', warning: 8, resolve_below: 2, resolve_steps: 3 };
    const calm = Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.7) * 0.9);
    const spike = drive(new AlertEngine('p', { rules: [rule] }), 's', [...calm, 9, ...calm.slice(0, 40)]);
    expect(spike).toEqual([]);
    // Twelve steps at about four times the usual residual: a burst, not one outlier.
    const burst = calm.slice(0, 12).map((z, i) => (i % 2 ? 4 : -4) + z);
    const ev = drive(new AlertEngine('p', { rules: [rule] }), 's', [...calm, ...burst, ...calm.slice(0, 60)]);
    expect(ev.map((x) => x.state)).toEqual(['firing', 'resolved']);
    expect(ev[0].step).toBeGreaterThanOrEqual(300);
    expect(ev[0].step).toBeLessThan(312);
  });

  it('counts bad input as unscored instead of crashing', () => {
    const e = engine({});
    const empty = {
      t: 0,
      stepMs: MIN,
      modelVersion: 'm',
      mean: new Float64Array(0),
      lower: new Float64Array(0),
      upper: new Float64Array(0),
    };
    expect(e.step('s', 0, MIN, 1, false, { ...UNIT, t: 0, stepMs: MIN, modelVersion: 'm' })).toEqual([]);
    expect(e.step('s', MIN, MIN, NaN, false)).toEqual([]);
    expect(e.step('s', 2 * MIN, MIN, Infinity, false, empty)).toEqual([]);
    expect(e.step('s', NaN, 0, 5, false, { ...empty, stepMs: 0, t: NaN })).toEqual([]);
    const nanMean = { ...UNIT, mean: new Float64Array([NaN]), t: 3 * MIN, stepMs: MIN, modelVersion: 'm' };
    e.step('s', 3 * MIN, MIN, 0, false, nanMean);
    expect(e.step('s', 4 * MIN, MIN, 100, false)).toEqual([]);
    expect(e.stats).toMatchObject({ steps: 6, scored: 0, unscored: 6 });
  });

  it('applies a rule only to streams matching its glob', () => {
    const e = engine({ streams: 'weather/*/temp' });
    expect(drive(e, 'weather/KSEA/temp', [4]).length).toBe(1);
    expect(drive(e, 'weather/KSEA/wind', [4]).length).toBe(0);
    expect(drive(e, 'weather/KSEA/x/temp', [4]).length).toBe(0);
  });
});

describe('AlertEngine storm control', () => {
  it('sends at most K per minute, then one summary when the window closes; held-back episodes do not resolve', () => {
    const e = engine({ resolve_steps: 1 }, { storm_control: { max_per_minute: 2 } });
    const out: AlertEvent[] = [];
    const H = MIN / 2;
    const f = (t: number) => ({ t, stepMs: H, modelVersion: 'm', ...UNIT });
    for (let s = 0; s < 5; s++) e.step(`s${s}`, 0, H, 0, false, f(0));
    for (let s = 0; s < 5; s++) out.push(...e.step(`s${s}`, H, H, 4, false, f(H)));
    expect(out.map((x) => x.stream)).toEqual(['s0', 's1']);
    for (let s = 0; s < 5; s++) out.push(...e.step(`s${s}`, MIN, H, 0, false, f(MIN)));
    expect(out.slice(2).map((x) => [x.stream, x.state])).toEqual([
      ['*', 'firing'],
      ['s0', 'resolved'],
      ['s1', 'resolved'],
    ]);
    expect(out[2].summary).toEqual({ suppressed: 3, streams: ['s2', 's3', 's4'], windowStart: 0, windowEnd: MIN });
    expect(out[2].rule).toBe('storm_control');
    expect(e.stats.stormSuppressed).toBe(3);
    expect(e.flush(2 * MIN)).toEqual([]);
  });

  it('flushes the summary of the open window', () => {
    const e = engine({}, { storm_control: { max_per_minute: 1 } });
    drive(e, 'a', [4]);
    drive(e, 'b', [4]);
    const [summary] = e.flush(2 * MIN);
    expect(summary.summary?.suppressed).toBe(1);
    expect(e.flush(2 * MIN)).toEqual([]);
  });
});

describe('AlertEngine silences', () => {
  it('holds back notifications for matching streams in the window, and can be listed and removed', () => {
    const e = engine({ resolve_steps: 1 });
    const sil = e.addSilence({ pattern: 'weather/KSEA/*', starts_at: 0, ends_at: 10 * MIN, comment: 'maintenance' });
    e.addSilence({ pattern: '**', rule: 'other', starts_at: 0, ends_at: 10 * MIN });
    expect(drive(e, 'weather/KSEA/temp', [4, 0])).toEqual([]);
    expect(drive(e, 'weather/KBOS/temp', [4, 0]).length).toBe(2);
    // After the window the same stream alerts again.
    expect(drive(e, 'weather/KSEA/temp', [4], 20 * MIN).length).toBe(1);
    expect(e.stats.silenced).toBe(1);
    expect(e.listSilences(5 * MIN).map((s) => s.id)).toHaveLength(2);
    expect(e.listSilences(11 * MIN)).toEqual([]);
    expect(e.removeSilence(sil.id)).toBe(true);
    expect(e.removeSilence(sil.id)).toBe(false);
    expect(e.listSilences().map((s) => s.pattern)).toEqual(['**']);
  });

  it('still resolves an alert that fired before the silence began', () => {
    const e = engine({ resolve_steps: 1 });
    expect(drive(e, 's', [4]).map((x) => x.state)).toEqual(['firing']);
    e.addSilence({ pattern: '**', starts_at: 0, ends_at: 100 * MIN });
    const later = e.step('s', 2 * MIN, MIN, 0, false);
    expect(later.map((x) => x.state)).toEqual(['resolved']);
  });

  it('rejects a bad silence with a clear error', () => {
    const e = engine({});
    expect(() => e.addSilence({ pattern: 'x', starts_at: 10, ends_at: 5 })).toThrow(TidecastError);
    expect(() => e.addSilence({ pattern: 'x', starts_at: 10, ends_at: 5 })).toThrow(/ends_at must be after starts_at/);
    expect(() => e.addSilence({ starts_at: 0, ends_at: 5 })).toThrow(/pattern/);
  });

  it('uses the injected clock for silences when given one', () => {
    let now = 0;
    const e = new AlertEngine('p', { rules: [{ name: 'dev', warning: 0.99 }] }, { now: () => now, scheduler: undefined as never });
    e.addSilence({ pattern: '**', starts_at: 1000, ends_at: 2000 });
    now = 1500;
    expect(drive(e, 's', [4], 10 * MIN).length).toBe(0);
    now = 2500;
    expect(drive(e, 't', [4], 10 * MIN).length).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import type { AlertEvent } from '../core/alert-event.js';
import { AlertEngine } from './alert-engine.js';
import { GroupRule, type GroupStep } from './alert-groups.js';
import { surpriseFromZ } from './normal-tail.js';

const MIN = 60_000;
const SENSORS = ['flow', 'pressure', 'temp'];
const ASSETS = ['plant/pump1', 'plant/pump2'];

/**
 * Every sensor of both assets, in lockstep: the forecast for t is the actual minus an N(0, 1) error
 * (log-variance 0), plus `shift(stream, i)` on the residual. Returns the events with their step.
 */
function runAssets(options: Record<string, unknown>, steps: number, shift: (stream: string, i: number) => number, seed = 1) {
  const engine = new AlertEngine('p', { storm_control: { max_per_minute: 1_000_000 }, scorer: { horizons: 1 }, ...options });
  const keys = ASSETS.flatMap((a) => SENSORS.map((s) => `${a}/${s}`));
  const g = gaussian(mulberry32(seed));
  const err = keys.map(() => Float64Array.from({ length: steps + 1 }, () => g()));
  const events: Array<AlertEvent & { step: number }> = [];
  const mean = new Float64Array(1);
  const f = {
    t: 0,
    stepMs: MIN,
    modelVersion: 'm',
    mean,
    lower: new Float64Array(1),
    upper: new Float64Array(1),
    logVar: new Float64Array(1),
  };
  for (let i = 0; i < steps; i++) {
    keys.forEach((key, k) => {
      const x = 50 + Math.sin(i / 30) * 5 + k;
      const xNext = 50 + Math.sin((i + 1) / 30) * 5 + k;
      f.t = i * MIN;
      mean[0] = xNext - err[k][i + 1] - shift(key, i + 1);
      for (const e of engine.step(key, i * MIN, MIN, x, false, f)) events.push({ ...e, step: i });
    });
  }
  return { engine, events };
}

describe('multi-signal (group) alerts', () => {
  it('multi-signal alert names its driving streams: one alert for the asset, naming the 2 anomalous sensors, not the third', () => {
    const shifted = new Set(['plant/pump1/flow', 'plant/pump1/pressure']);
    const { events } = runAssets(
      { rules: [{ name: 'asset', detector: 'combined', group_by: 'prefix', warning: 6, resolve_below: 2, resolve_steps: 5 }] },
      700,
      (key, i) => (shifted.has(key) && i >= 500 && i < 520 ? 3 : 0),
    );
    const firing = events.filter((e) => e.state === 'firing');
    expect(firing).toHaveLength(1);
    const [e] = firing;
    expect(e.stream).toBe('plant/pump1');
    expect(e.group).toEqual({ key: 'plant/pump1', scored: 3, reported: 3 });
    expect(e.step).toBeGreaterThanOrEqual(500);
    expect(e.step).toBeLessThan(505);
    expect(e.id).toBe(`plant/pump1|asset|${e.episodeStart}`);
    expect(e.parts!.map((p) => p.name).sort()).toEqual([...shifted].sort());
    expect(shifted.has(e.driver!)).toBe(true);
    expect(e.parts![0].surprise).toBeGreaterThanOrEqual(e.parts![1].surprise);
    expect(e.dashboardUrl).toContain(encodeURIComponent(e.driver!));
    // The episode resolves once the shift is over, through the same lifecycle as a stream's.
    const resolved = events.filter((x) => x.state === 'resolved');
    expect(resolved.map((x) => x.id)).toEqual([e.id]);
    expect(resolved[0].step).toBeGreaterThanOrEqual(520);
  });

  it('configured groups, silences on the group key, and no group for streams outside every group', () => {
    const options = {
      groups: { pump1: ['plant/pump1/*'] },
      rules: [{ name: 'asset', detector: 'surprise', group_by: 'groups', warning: 8 }],
    };
    const spike = (key: string, i: number) => (i === 400 && (key === 'plant/pump1/temp' || key === 'plant/pump2/temp') ? 12 : 0);
    const { events } = runAssets(options, 500, spike);
    expect(events.map((e) => [e.stream, e.state, e.step])).toEqual([
      ['pump1', 'firing', 400],
      ['pump1', 'resolved', 403],
    ]);
    expect(events[0].driver).toBe('plant/pump1/temp');
    const silenced = runAssets({ ...options, silences: [{ pattern: 'pump1', starts_at: 0, ends_at: 1e12 }] }, 500, spike);
    expect(silenced.events).toEqual([]);
    expect(silenced.engine.stats.silenced).toBe(1);
  });

  it('a group rule takes a detector on the surprise scale, and group_by groups needs groups', () => {
    expect(() => new AlertEngine('p', { rules: [{ name: 'a', detector: 'score', group_by: 'prefix', warning: 0.99 }] })).toThrow(
      /surprise or combined/,
    );
    expect(() => new AlertEngine('p', { rules: [{ name: 'a', detector: 'surprise', group_by: 'groups', warning: 5 }] })).toThrow(
      /alerting.groups is empty/,
    );
  });

  it('stays calibrated as the asset grows: P(group surprise >= s) is 10^-s for 1 to 64 members on N(0, 1) residuals', () => {
    for (const members of [1, 4, 16, 64]) {
      const times = 100_000;
      const thresholds = [2, 3];
      const above = [0, 0];
      let closed = 0;
      const rule = new GroupRule(0, 'prefix', {}, (_: GroupRule, s: GroupStep) => {
        closed++;
        thresholds.forEach((th, k) => {
          if (s.surprise >= th) above[k]++;
        });
      });
      const g = gaussian(mulberry32(members));
      const groupOf = Array.from({ length: members }, (_, m) => rule.groupOf(m, `asset/s${m}`));
      for (let t = 0; t < times; t++) for (let m = 0; m < members; m++) rule.report(groupOf[m], m, t * MIN, MIN, surpriseFromZ(g()));
      expect(closed).toBe(times);
      thresholds.forEach((th, k) => {
        const ratio = above[k] / times / 10 ** -th;
        expect(ratio, `${members} members, threshold ${th}: ${above[k]} of ${times}`).toBeGreaterThan(0.75);
        expect(ratio, `${members} members, threshold ${th}: ${above[k]} of ${times}`).toBeLessThan(1.3);
      });
    }
  });

  it('a dropped member leaves its group: the next event times close with the members left', () => {
    const seen: Array<[number, number]> = [];
    const rule = new GroupRule(0, 'prefix', {}, (_: GroupRule, s: GroupStep) => seen.push([s.t, s.reported]));
    const g = rule.groupOf(0, 'x/a');
    rule.groupOf(1, 'x/b');
    rule.report(g, 0, MIN, MIN, 1);
    rule.report(g, 1, MIN, MIN, 1);
    rule.forget(1);
    rule.report(g, 0, 2 * MIN, MIN, 1); // closes at once: one member left
    expect(seen).toEqual([
      [MIN, 2],
      [2 * MIN, 1],
    ]);
    expect(rule.groupOf(1, 'y/c')).not.toBe(g); // the slot's next stream is classified afresh
  });

  it('closes an event time a member skipped once a later time completes, in time order', () => {
    const seen: Array<[number, number, number]> = [];
    const rule = new GroupRule(0, 'prefix', {}, (_: GroupRule, s: GroupStep) => seen.push([s.t, s.reported, s.scored]));
    const a = rule.groupOf(0, 'x/a');
    const b = rule.groupOf(1, 'x/b');
    expect(b).toBe(a);
    rule.report(a, 0, 1 * MIN, MIN, 1);
    rule.report(a, 0, 2 * MIN, MIN, NaN); // unscored (imputed) but reported
    rule.report(a, 1, 2 * MIN, MIN, 3);
    rule.report(a, 1, 1 * MIN, MIN, 2); // too late: time 1 closed with time 2
    expect(seen).toEqual([
      [MIN, 1, 1],
      [2 * MIN, 2, 1],
    ]);
    expect(rule.late).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import type { AlertEvent } from '../core/alert-event.js';
import { AlertEngine } from './alert-engine.js';

const MIN = 60_000;
const OPTIONS = {
  rules: [
    { name: 'dev', detector: 'score', warning: 0.999, resolve_steps: 2 },
    { name: 'dyn', detector: 'dynamic_threshold', warning: 1, for: 2 },
    { name: 'stuck', detector: 'flatline', warning: 3 },
    { name: 'shift', detector: 'cusum', warning: 5 },
  ],
  scorer: { window_steps: 32, horizons: 4 },
};

/** Step i of stream k: noise with a burst, without model variance (running scale path). */
function feed(e: AlertEngine, key: string, k: number, from: number, to: number, out: AlertEvent[]): void {
  const g = gaussian(mulberry32(100 + k));
  for (let i = 0; i < to; i++) {
    const v = g() + (i >= 150 && i < 160 ? 8 : 0);
    if (i < from) continue;
    const m = new Float64Array(4).fill(v * 0.1);
    const f = {
      t: i * MIN,
      stepMs: MIN,
      modelVersion: `m${Math.floor(i / 100)}`,
      mean: m,
      lower: m.map((x) => x - 2),
      upper: m.map((x) => x + 2),
    };
    out.push(...e.step(key, i * MIN, MIN, v, false, f));
  }
}

describe('AlertEngine stream snapshots', () => {
  it('a restored stream continues exactly as an uninterrupted one, mid-episode included', () => {
    const whole = new AlertEngine('p', OPTIONS);
    const expected: AlertEvent[] = [];
    for (const [k, key] of ['a', 'b'].entries()) feed(whole, key, k, 0, 300, expected);
    expect(expected.some((e) => e.state === 'resolved' && e.time > 155 * MIN)).toBe(true);
    // The burst also trips the CUSUM, so its sums are part of what must survive the restore.
    expect(expected.some((e) => e.rule === 'shift' && e.state === 'firing')).toBe(true);

    const before = new AlertEngine('p', OPTIONS);
    const got: AlertEvent[] = [];
    for (const [k, key] of ['a', 'b'].entries()) feed(before, key, k, 0, 153, got); // stops inside the burst
    const snaps = ['a', 'b'].map((key) => JSON.parse(JSON.stringify(before.exportStream(key))));
    const after = new AlertEngine('p', OPTIONS);
    // Restored in the other order: slots differ, state must not.
    expect(after.importStream('b', snaps[1])).toBe(true);
    expect(after.importStream('a', snaps[0])).toBe(true);
    for (const [k, key] of ['a', 'b'].entries()) feed(after, key, k, 153, 300, got);
    const byStream = (xs: AlertEvent[]) => [...xs].sort((x, y) => x.stream.localeCompare(y.stream) || x.time - y.time);
    expect(byStream(got)).toEqual(byStream(expected));
  });

  it('a restored stream holds the same state as an uninterrupted one at every later step', () => {
    // Exported before its tail calibration has seen a score: the snapshot must carry that part's
    // initial values (log z99), not zeros, or the states differ until the calibration's warm-up ends.
    const whole = new AlertEngine('p', OPTIONS);
    const before = new AlertEngine('p', OPTIONS);
    feed(whole, 'a', 0, 0, 20, []);
    feed(before, 'a', 0, 0, 20, []);
    const after = new AlertEngine('p', OPTIONS);
    expect(after.importStream('a', JSON.parse(JSON.stringify(before.exportStream('a'))))).toBe(true);
    expect(after.exportStream('a')).toEqual(whole.exportStream('a'));
    for (let i = 20; i < 200; i++) {
      feed(whole, 'a', 0, i, i + 1, []);
      feed(after, 'a', 0, i, i + 1, []);
      expect(after.exportStream('a'), `step ${i}`).toEqual(whole.exportStream('a'));
    }
  });

  it('drops a stream: its slot starts afresh for the next stream, rule scopes included', () => {
    const options = { ...OPTIONS, rules: [...OPTIONS.rules, { name: 'only-a', detector: 'score', warning: 0.99, streams: 'a' }] };
    const e = new AlertEngine('p', options);
    const fresh = new AlertEngine('p', options);
    feed(e, 'a', 0, 0, 300, []);
    feed(e, 'b', 1, 0, 300, []);
    expect(e.dropStream('a')).toBe(true);
    expect(e.dropStream('a')).toBe(false);
    expect(e.exportStream('a')).toBeNull();
    // 'c' takes a's slot and must not inherit a's scores, forecasts or that only-a applied there.
    const got: AlertEvent[] = [];
    const expected: AlertEvent[] = [];
    feed(e, 'c', 0, 300, 600, got);
    feed(fresh, 'c', 0, 300, 600, expected);
    expect(expected.some((x) => x.rule === 'dev')).toBe(true);
    expect(got.filter((x) => x.stream === 'c')).toEqual(expected);
    expect(e.exportStream('c')).toEqual(fresh.exportStream('c'));
    expect(e.exportStream('b')).not.toBeNull();
  });

  it('refuses a snapshot made under other rules and leaves the stream fresh', () => {
    const e = new AlertEngine('p', OPTIONS);
    feed(e, 'a', 0, 0, 50, []);
    const snap = e.exportStream('a')!;
    const other = new AlertEngine('p', { ...OPTIONS, rules: OPTIONS.rules.slice(1) });
    expect(other.importStream('a', snap)).toBe(false);
    expect(other.exportStream('a')).toBeNull();
    expect(e.exportStream('nope')).toBeNull();
    expect(e.importStream('a', { ...snap, state: snap.state.slice(8) })).toBe(false);
    // Formats 1 (before the CUSUM sums) and 2 (before the anomaly likelihood) are refused, not misread.
    expect(snap.v).toBe(3);
    expect(e.importStream('a', { ...snap, v: 1 } as unknown as typeof snap)).toBe(false);
    expect(e.importStream('a', { ...snap, v: 2 } as unknown as typeof snap)).toBe(false);
  });
});

describe('AlertEngine snapshots with the combined detector and group rules', () => {
  const HOUR = 3_600_000;
  const GROUPED = {
    storm_control: { max_per_minute: 1_000_000 },
    rules: [
      { name: 'any', detector: 'combined', warning: 4, resolve_below: 2 },
      { name: 'asset', detector: 'combined', group_by: 'prefix', warning: 5, resolve_below: 2, resolve_steps: 4 },
    ],
    scorer: { horizons: 2 },
  };
  const KEYS = ['g/a', 'g/b', 'g/c'];

  /** Steps from..to-1 of the three streams in lockstep: a daily cycle, a shift on a and b at 150..170. */
  function feedGroup(e: AlertEngine, from: number, to: number, out: AlertEvent[]): void {
    const gs = KEYS.map((_, k) => gaussian(mulberry32(200 + k)));
    for (let i = 0; i < to; i++) {
      KEYS.forEach((key, k) => {
        const v = 10 * Math.sin((2 * Math.PI * i) / 24) + gs[k]() + (k < 2 && i >= 150 && i < 170 ? 6 : 0);
        if (i < from) return;
        const m = new Float64Array(2).fill(10 * Math.sin((2 * Math.PI * (i + 1)) / 24));
        const f = { t: i * HOUR, stepMs: HOUR, modelVersion: 'm', mean: m, lower: m.map((x) => x - 2), upper: m.map((x) => x + 2) };
        out.push(...e.step(key, i * HOUR, HOUR, v, false, f));
      });
    }
  }

  it('a restored asset continues exactly as an uninterrupted one: per-stream parts (season ring included) and the group lifecycle', () => {
    // stepMs = 1 h: the seasonal part's default season is 24 steps, so its ring is in the snapshot.
    const whole = new AlertEngine('p', GROUPED, undefined, HOUR);
    const expected: AlertEvent[] = [];
    feedGroup(whole, 0, 300, expected);
    const group = expected.filter((x) => x.rule === 'asset');
    expect(group.map((x) => x.state)).toEqual(['firing', 'resolved']);
    expect(group[0].time).toBeLessThan(160 * HOUR);
    expect(group[1].time).toBeGreaterThan(160 * HOUR);
    expect(expected.some((x) => x.rule === 'any' && x.stream === 'g/a')).toBe(true);

    const before = new AlertEngine('p', GROUPED, undefined, HOUR);
    const got: AlertEvent[] = [];
    feedGroup(before, 0, 160, got); // the group alert is firing
    const snaps = KEYS.map((key) => JSON.parse(JSON.stringify(before.exportStream(key))));
    const after = new AlertEngine('p', GROUPED, undefined, HOUR);
    [2, 0, 1].forEach((k) => {
      expect(after.importStream(KEYS[k], snaps[k])).toBe(true);
    });
    for (const key of KEYS) expect(after.exportStream(key)).toEqual(before.exportStream(key));
    feedGroup(after, 160, 300, got);
    expect(got).toEqual(expected);
    for (const key of KEYS) expect(after.exportStream(key)).toEqual(whole.exportStream(key));
    // Another season or group setting is another layout: refused.
    const other = new AlertEngine('p', { ...GROUPED, scorer: { horizons: 2, season_steps: 12 } }, undefined, HOUR);
    expect(other.importStream('g/a', snaps[0])).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AlertingOptions, ScorerOptions, seasonSteps, toStepScorerOptions, usesCombined } from './rule-options.js';

const YAML = `
base_url: https://tidecast.example
storm_control: { max_per_minute: 10 }
scorer: { horizons: 6, warmup_steps: 24 }
rules:
  - name: deviation
    detector: score
    streams: weather/**
    warning: 0.999
    critical: 0.99999
    for: 2
    resolve_below: 0.9
    cooldown_ms: 600000
  - name: drift
    detector: horizon
    warning: 3
silences:
  - { pattern: weather/KSEA/*, starts_at: 0, ends_at: 1000 }
`;

describe('AlertingOptions', () => {
  it('reads the snake_case pipeline section with defaults', () => {
    const o = AlertingOptions.parse(parse(YAML));
    expect(o.rules[0]).toMatchObject({
      name: 'deviation',
      for: 2,
      for_ms: 0,
      resolve_steps: 3,
      cooldown_ms: 600000,
      notify_pending: false,
    });
    expect(o.rules[1]).toMatchObject({ detector: 'horizon', streams: '**', warning: 3 });
    expect(o.storm_control.max_per_minute).toBe(10);
    expect(o.silences[0].comment).toBe('');
    const s = toStepScorerOptions(o.scorer);
    expect(s.horizons).toBe(6);
    expect(s.residualScale.warmupSteps).toBe(24);
    expect(s.dynamicThreshold.windowSteps).toBe(240);
    expect(s.cusum).toEqual({ k: 0.5, h: 5, clip: 4 });
    expect(toStepScorerOptions(AlertingOptions.parse({ scorer: { cusum_k: 1, cusum_h: 8 } }).scorer).cusum).toEqual({
      k: 1,
      h: 8,
      clip: 4,
    });
  });

  it('reports every error with its path', () => {
    const r = AlertingOptions.safeParse({
      rules: [
        { name: 'a', warning: 0.9, critical: 0.5, for: 0 },
        { name: 'a', warning: 1, detector: 'nope', unknown_key: 1 },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['rules.0.for', 'rules.1.detector']));
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('rejects inconsistent thresholds and duplicate names', () => {
    const bad = AlertingOptions.safeParse({ rules: [{ name: 'a', warning: 0.9, critical: 0.5 }] });
    expect(bad.error?.issues[0].path).toEqual(['rules', 0, 'critical']);
    const dup = AlertingOptions.safeParse({
      rules: [
        { name: 'a', warning: 1 },
        { name: 'a', warning: 2 },
      ],
    });
    expect(dup.error?.issues[0].message).toMatch(/duplicate rule name a/);
  });
});

describe('combined detector and group options', () => {
  it('the seasonal part defaults to one day of the pipeline steps when that fits, else none', () => {
    const s = ScorerOptions.parse({});
    expect(seasonSteps(s, 3_600_000)).toBe(24);
    expect(seasonSteps(s, 600_000)).toBe(144);
    expect(seasonSteps(s, 60_000)).toBe(1440);
    expect(seasonSteps(s, 1000)).toBe(0); // 86400 steps: too long a ring per stream
    expect(seasonSteps(s, 86_400_000)).toBe(0); // daily steps: no daily season
    expect(seasonSteps(s, 7 * 60_000)).toBe(0); // a day is not a whole number of 7-minute steps
    expect(seasonSteps(s)).toBe(0);
    expect(seasonSteps(ScorerOptions.parse({ season_steps: 12 }), 3_600_000)).toBe(12);
    expect(() => ScorerOptions.parse({ combined_variance_window: 11 })).toThrow();
  });

  it('computes the combined parts only when a rule reads them', () => {
    const a = AlertingOptions.parse({ rules: [{ name: 'x', warning: 0.99 }] });
    expect(usesCombined(a.rules)).toBe(false);
    expect(toStepScorerOptions(a.scorer, usesCombined(a.rules), 3_600_000).combined).toBeNull();
    const b = AlertingOptions.parse({ rules: [{ name: 'x', detector: 'combined', warning: 5 }] });
    expect(toStepScorerOptions(b.scorer, usesCombined(b.rules), 3_600_000).combined).toEqual({
      levelSpan: 8,
      varianceWindow: 12,
      seasonSteps: 24,
      seasonalSpan: 6,
    });
    const v = AlertingOptions.parse({ rules: [{ name: 'x', detector: 'variance', warning: 12 }] });
    expect(usesCombined(v.rules)).toBe(true);
    expect(toStepScorerOptions(v.scorer, usesCombined(v.rules), 3_600_000).combined?.varianceWindow).toBe(12);
    const g = AlertingOptions.parse({
      groups: { pump1: ['plant/pump1/*'] },
      rules: [{ name: 'x', detector: 'surprise', group_by: 'groups', warning: 5 }],
    });
    expect(g.rules[0].group_by).toBe('groups');
  });
});

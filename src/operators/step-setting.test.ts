import { describe, expect, it } from 'vitest';
import { PipelineDataOptions } from './options.js';
import { resolveOptions } from './resolved-options.js';
import { AUTO_STEP_MS, formatDuration, parseDuration } from './step-setting.js';

describe('step_ms as a duration or auto', () => {
  it('reads duration strings as milliseconds', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('15s')).toBe(15_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('h')).toBeUndefined();
    expect(parseDuration('10 minutes')).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(86_400_000)).toBe('1d');
  });

  it('parses step_ms: number, duration or auto, and rejects anything else with a message', () => {
    expect(PipelineDataOptions.parse({ step_ms: 60_000 }).step_ms).toBe(60_000);
    expect(PipelineDataOptions.parse({ step_ms: '30m' }).step_ms).toBe(1_800_000);
    expect(PipelineDataOptions.parse({ step_ms: 'auto' }).step_ms).toBe(AUTO_STEP_MS);
    const bad = PipelineDataOptions.safeParse({ step_ms: 'soon' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['step_ms']);
    expect(PipelineDataOptions.safeParse({ step_ms: 0 }).success).toBe(false);
    expect(PipelineDataOptions.safeParse({ step_ms: -5 }).success).toBe(false);
  });

  it('refuses to build a stream pipeline on a step still "auto"', () => {
    expect(() => resolveOptions({ step_ms: 'auto' })).toThrow(/auto/);
    expect(resolveOptions({ step_ms: '1h' }).stepMs).toBe(3_600_000);
  });
});

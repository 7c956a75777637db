import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { PipelineDataOptions } from './options.js';
import { resolveOptions } from './resolved-options.js';

describe('PipelineDataOptions', () => {
  it('fills defaults from a minimal YAML-style object', () => {
    const o = PipelineDataOptions.parse({ step_ms: 600_000 });
    expect(o.fields).toEqual([{ name: 'value', role: 'target', aggregation: 'mean' }]);
    expect(o.ordering).toMatchObject({ max_delay_ms: 0, allowed_lateness_ms: 0, duplicates: 'drop' });
    expect(o.impute).toMatchObject({ method: 'linear', max_gap_steps: 6 });
    expect(o.normalise).toMatchObject({ method: 'zscore', transform: 'none' });
    expect(o.features.lags).toEqual([1, 2, 3]);
    expect(o.batching).toEqual({ max_batch: 256, max_wait_ms: 5 });
  });

  it('reports every problem with its path', () => {
    const r = PipelineDataOptions.safeParse({
      step_ms: 0,
      fields: [
        { name: 'a', role: 'exogenous' },
        { name: 'a', role: 'exogenous' },
      ],
      impute: { method: 'cubic' },
      features: { unknown_thing: 1 },
    });
    expect(r.success).toBe(false);
    const paths = (r.error?.issues ?? []).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['step_ms', 'impute.method', 'features']));
    const all = PipelineDataOptions.safeParse({
      step_ms: 1,
      fields: [
        { name: 'a', role: 'exogenous' },
        { name: 'a', role: 'exogenous' },
      ],
    });
    expect((all.error?.issues ?? []).map((i) => i.message)).toEqual(['duplicate field "a"', 'at least one field must have role "target"']);
  });

  it('describes every field (the daemon shows these in its config errors and JSON schema)', () => {
    const schema = z.toJSONSchema(PipelineDataOptions, { io: 'input' }) as Record<string, unknown>;
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as { properties?: Record<string, { description?: string }>; items?: unknown };
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        if (!v.description) missing.push(`${path}${k}`);
        walk(v, `${path}${k}.`);
      }
      if (n.items) walk(n.items, `${path}[].`);
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });

  it('resolves to flat numbers for the hot path', () => {
    const r = resolveOptions({
      step_ms: 1000,
      fields: [{ name: 'p' }, { name: 'h', role: 'exogenous', aggregation: 'max' }],
      normalise: { half_life_steps: 1 },
    });
    expect(Array.from(r.targets)).toEqual([0]);
    expect(Array.from(r.exogenous)).toEqual([1]);
    expect(Array.from(r.aggregation)).toEqual([0, 4]);
    expect(r.ewmAlpha).toBe(0.5);
  });
});

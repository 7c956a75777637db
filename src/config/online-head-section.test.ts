import { describe, expect, it } from 'vitest';
import { PipelineSpec } from './pipeline-schema.js';

const base = {
  name: 'p',
  step_ms: 3_600_000,
  fields: [{ name: 'value' }],
  sources: [{ kind: 'file', path: 'x.csv', value_columns: ['a', 'b'], key_prefix: 'p/' }],
  state: { dir: 'var/state/p' },
};

function messages(head: unknown, horizon = 24): string[] {
  const r = PipelineSpec.safeParse({ ...base, model: { cell: 'gru', units: 4, horizon, online_head: head } });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('model.online_head', () => {
  it('fills the defaults and takes the streams from the wide file source', () => {
    const spec = PipelineSpec.parse({
      ...base,
      model: { cell: 'gru', units: 4, horizon: 24, online_head: { normalise: { method: 'zscore', fit_rows: 100 } } },
    });
    expect(spec.model.online_head?.recurrent).toEqual({ cell: 'gru', units: 16, layers: 1, seed: 3 });
    expect(spec.model.online_head?.calendar).toBe(true);
    expect(PipelineSpec.parse({ ...base, model: { cell: 'gru', units: 4, horizon: 1 } }).model.online_head).toBeUndefined();
  });

  it('reports a zscore without fit_rows, profiles that leave a horizon uncovered, and a day shorter than the horizon', () => {
    expect(messages({ normalise: { method: 'zscore' } })).toEqual(['model.online_head.normalise.fit_rows: zscore needs fit_rows']);
    expect(
      messages({
        profiles: [
          { from_horizon: 1, to_horizon: 1, lags: 4 },
          { from_horizon: 3, to_horizon: 24, lags: 2 },
        ],
      }),
    ).toEqual(['model.online_head.profiles: horizon 2 must be covered by exactly one profile, found 0']);
    expect(messages({ season_steps: 12 })[0]).toMatch(/season_steps >= horizon \(12 < 24\)/);
    expect(messages({})).toEqual([]);
  });

  it('needs streams when no wide file source names them', () => {
    const r = PipelineSpec.safeParse({
      ...base,
      sources: [{ kind: 'file', path: 'x.csv', key_column: 'stream' }],
      model: { cell: 'gru', units: 4, horizon: 1, online_head: {} },
    });
    expect(r.success ? [] : r.error.issues.map((i) => i.message)).toContain('needs streams (no wide file source to take them from)');
  });
});

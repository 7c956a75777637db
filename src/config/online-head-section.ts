import { z } from 'zod';
import { isAutoStep } from '../operators/step-setting.js';

// `model.online_head`: the multivariate online head (src/forecasting/online-head.ts). Every grid row of
// the listed streams is forecast together by src/forecasting's OnlineForecaster: one recursive
// least squares readout per horizon over [last values, lagged differences, calendar, seasonal
// difference, the head's recurrent layers' state], learning online from values already observed.
// Lives under `model` so that the checkpoint fingerprint covers it.

export const OnlineHeadProfileSection = z
  .object({
    from_horizon: z.number().int().min(1).describe('First horizon (1-based) of this profile.'),
    to_horizon: z.number().int().min(1).describe('Last horizon (inclusive).'),
    lags: z.number().int().min(1).max(64).describe('Window length L: L - 1 lagged first differences of every stream are features.'),
    forgetting: z.number().gt(0).max(1).default(1).describe('RLS forgetting factor (1: none).'),
    initial_scale: z
      .union([z.number().positive(), z.array(z.number().positive()).min(1)])
      .default(1)
      .describe(
        'Prior variance of the weights (small: shrink towards the last value); several values run one readout each, the best recent one (or the last value) wins per stream.',
      ),
    seasonal: z
      .boolean()
      .default(false)
      .describe('Add the seasonal difference: the value one season before the target minus the last value.'),
  })
  .strict();

export const OnlineHeadRecurrentSection = z
  .object({
    cell: z.enum(['rnn', 'lstm', 'lstm-peephole', 'gru']).default('gru').describe('Recurrent cell stepped on every normalised row.'),
    units: z.number().int().min(1).max(256).default(16).describe('Hidden units per layer.'),
    layers: z.number().int().min(1).max(4).default(1).describe('Stacked layers.'),
    seed: z.number().int().nonnegative().default(3).describe('Seed of its weights (seeded, not trained: only the readouts learn).'),
  })
  .strict();

export const OnlineHeadNormaliseSection = z
  .object({
    method: z
      .enum(['zscore', 'none'])
      .default('zscore')
      .describe('zscore: per stream, fitted on the first fit_rows rows and then frozen; none: data units.'),
    fit_rows: z
      .number()
      .int()
      .min(2)
      .optional()
      .describe(
        'zscore: rows the scale is fitted on (the training rows); the head learns from them once they are all in, then forecasts online.',
      ),
  })
  .strict()
  .superRefine((n, ctx) => {
    if (n.method === 'zscore' && n.fit_rows === undefined)
      ctx.addIssue({ code: 'custom', message: 'zscore needs fit_rows', path: ['fit_rows'] });
  });

export const OnlineHeadSection = z
  .object({
    streams: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Stream keys forecast together, in column order (default: the first file source's value columns, with its key prefix)."),
    horizon: z.number().int().min(1).max(512).optional().describe('Steps ahead (default: model.horizon).'),
    season_steps: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('Steps per season: seasonal features and warm-up (default: one day of steps).'),
    calendar: z.boolean().default(true).describe("Add sin/cos of the target's time of day (2 harmonics)."),
    selection_half_life_steps: z
      .number()
      .positive()
      .default(200)
      .describe("Half-life of the recent squared errors that pick each stream's readout."),
    profiles: z
      .array(OnlineHeadProfileSection)
      .min(1)
      .optional()
      .describe(
        'Readout settings per range of horizons, covering 1..horizon once (default: lags 8, forgetting 0.9999 at h = 1; lags 2, seasonal, scales 1e-2/1e-3/1e-4 beyond).',
      ),
    recurrent: OnlineHeadRecurrentSection.nullable()
      .default(OnlineHeadRecurrentSection.parse({}))
      .describe('Recurrent layers whose state feeds every readout (null: none).'),
    normalise: OnlineHeadNormaliseSection.default({ method: 'none' }).describe("Scale of the head's inputs, forecasts and errors."),
  })
  .strict();

export type OnlineHeadSection = z.infer<typeof OnlineHeadSection>;
export type OnlineHeadProfileSection = z.infer<typeof OnlineHeadProfileSection>;

interface SourceLike {
  readonly kind: string;
  readonly key_column?: string;
  readonly value_columns?: readonly string[];
  readonly key_prefix?: string;
  readonly streams?: readonly string[];
}

/**
 * The head's stream keys in column order: `streams` if given, else the value columns of the first
 * wide file source (no key_column), each with the source's key prefix. Undefined when neither exists.
 */
export function onlineHeadStreams(head: Pick<OnlineHeadSection, 'streams'>, sources: readonly SourceLike[]): string[] | undefined {
  if (head.streams !== undefined) return [...head.streams];
  const wide = sources.find((s) => s.kind === 'file' && s.key_column === undefined);
  if (wide?.value_columns === undefined) return undefined;
  const only = wide.streams === undefined ? undefined : new Set(wide.streams);
  return wide.value_columns.filter((c) => only === undefined || only.has(c)).map((c) => `${wide.key_prefix ?? ''}${c}`);
}

/** Cross-field problems of `model.online_head` (checked with the whole pipeline). */
export function onlineHeadIssues(p: {
  readonly model: { readonly horizon: number; readonly online_head?: OnlineHeadSection };
  readonly step_ms: number;
  readonly sources: readonly (SourceLike & { readonly changelog?: unknown })[];
}): { message: string; path: (string | number)[] }[] {
  const head = p.model.online_head;
  if (head === undefined) return [];
  const at = ['model', 'online_head'];
  const issues: { message: string; path: (string | number)[] }[] = [];
  const streams = onlineHeadStreams(head, p.sources);
  if (streams === undefined) issues.push({ message: 'needs streams (no wide file source to take them from)', path: [...at, 'streams'] });
  else if (new Set(streams).size !== streams.length) issues.push({ message: 'streams must be distinct', path: [...at, 'streams'] });
  const horizon = head.horizon ?? p.model.horizon;
  // With step_ms: auto the step (so the default season) is known only at start: not checked here.
  const season = head.season_steps ?? (isAutoStep(p) ? Infinity : Math.max(1, Math.round(86_400_000 / p.step_ms)));
  for (let h = 1; h <= horizon && head.profiles !== undefined; h++) {
    const covering = head.profiles.filter((q) => q.from_horizon <= h && h <= q.to_horizon);
    if (covering.length !== 1) {
      issues.push({ message: `horizon ${h} must be covered by exactly one profile, found ${covering.length}`, path: [...at, 'profiles'] });
      break;
    }
    if (covering[0].seasonal && season < h) {
      issues.push({ message: `seasonal features need season_steps >= horizon (${season} < ${h})`, path: [...at, 'profiles'] });
      break;
    }
  }
  if (head.profiles === undefined && horizon > 1 && season < horizon) {
    issues.push({
      message: `the default profiles need season_steps >= horizon (${season} < ${horizon}); set season_steps or profiles`,
      path: [...at, 'season_steps'],
    });
  }
  // Its state is cross-stream: it lives in the checkpoint file, not in a per-stream changelog.
  if (p.sources.some((s) => s.kind === 'kafka' && s.changelog !== false)) {
    issues.push({
      message: "not supported with a Kafka changelog source (set changelog: false): the head's state is in the checkpoint file",
      path: at,
    });
  }
  return issues;
}

// The `alerting:` section of a pipeline file (snake_case YAML), validated with zod.
import { z } from 'zod';
import type { StepScorerOptions } from './step-scorer.js';

/** Longest season (steps) the combined detector keeps per stream: one day of minutes. */
export const MAX_SEASON_STEPS = 1440;

export const AlertRuleOptions = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .describe('Rule name, part of the alert id.'),
    detector: z
      .enum(['score', 'surprise', 'likelihood', 'baseline', 'dynamic_threshold', 'horizon', 'flatline', 'cusum', 'combined', 'variance'])
      .default('score')
      .describe(
        "score: 1 - tail probability in [0,1]; surprise: -log10 tail probability; likelihood: -log10 upper tail of the recent mean surprise against the stream's long-run surprise (sustained anomalies); baseline: -log10 p of the smoothed deviation of the value from the stream's slow, freezing baseline (persistent faults); dynamic_threshold: smoothed error / ε (>= 1 above); horizon: number of horizons whose band the actual left; flatline: surprise (-log10 chance) of the current run of identical values; cusum: two-sided CUSUM of the calibrated z in sigmas (persistent shifts; reaches scorer.cusum_h at an alarm, then restarts); combined: one surprise over the spike, level, variance, seasonal and stuck detectors (largest part - log10 of the parts), events name the driving part; variance: the combined detector's variance part alone (-log10 p of the recent squared residuals against the stream's long-run residual scale, a burst of noise).",
      ),
    streams: z.string().default('**').describe('Glob over stream keys the rule applies to (* within a segment, ** across /).'),
    warning: z.number().describe('Level at or above which a step counts as anomalous (severity warning).'),
    critical: z.number().optional().describe('Level at or above which the severity is critical.'),
    for: z.number().int().min(1).default(1).describe('Consecutive anomalous scored steps before firing.'),
    for_ms: z.number().int().min(0).default(0).describe('Event time the episode must also have lasted before firing.'),
    resolve_below: z.number().optional().describe('Hysteresis: a firing alert resolves only below this level (default: warning).'),
    resolve_steps: z.number().int().min(1).default(3).describe('Consecutive scored steps below resolve_below to resolve.'),
    cooldown_ms: z.number().int().min(0).default(0).describe('After resolving, no new episode for this stream and rule during this time.'),
    notify_pending: z.boolean().default(false).describe('Also deliver pending events.'),
    group_by: z
      .enum(['stream', 'prefix', 'groups'])
      .default('stream')
      .describe(
        'stream: one alert per stream; prefix: one per asset, the streams sharing a key up to the last "/"; groups: one per entry of alerting.groups. Group rules take detector surprise or combined and score each event time by Fisher\'s combination of the members\' surprises; events name the driving streams.',
      ),
  })
  .strict()
  .refine((r) => r.critical === undefined || r.critical >= r.warning, { message: 'critical must be >= warning', path: ['critical'] })
  .refine((r) => r.resolve_below === undefined || r.resolve_below <= r.warning, {
    message: 'resolve_below must be <= warning',
    path: ['resolve_below'],
  });
export type AlertRuleOptions = z.infer<typeof AlertRuleOptions>;

export const SilenceOptions = z
  .object({
    pattern: z.string().min(1).describe('Glob over stream keys.'),
    rule: z.string().optional().describe('Only this rule (default: all rules).'),
    starts_at: z.number().int().describe('Start, epoch ms (inclusive).'),
    ends_at: z.number().int().describe('End, epoch ms (exclusive).'),
    comment: z.string().default(''),
  })
  .strict()
  .refine((s) => s.ends_at > s.starts_at, { message: 'ends_at must be after starts_at', path: ['ends_at'] });
export type SilenceOptions = z.infer<typeof SilenceOptions>;

export const ScorerOptions = z
  .object({
    horizons: z.number().int().min(1).max(512).default(12).describe('Past forecast horizons kept for the horizon detector.'),
    residual_half_life_steps: z
      .number()
      .positive()
      .default(24)
      .describe('Half-life of the running residual scale (models without variance).'),
    warmup_steps: z.number().int().min(1).default(48).describe('Steps before a stream without model variance is scored.'),
    clip_z: z.number().positive().default(5).describe('Residuals are clipped to this many scales before updating the scale.'),
    smoothing_span: z.number().positive().default(6).describe('EWMA span of the dynamic threshold errors.'),
    window_steps: z.number().int().min(8).default(240).describe('Smoothed errors in the dynamic threshold window.'),
    refit_every: z.number().int().min(1).default(12).describe('Steps between dynamic threshold refits.'),
    z_min: z.number().default(2),
    z_max: z.number().default(10),
    z_step: z.number().positive().default(0.5),
    prune: z.number().min(0).default(0.13).describe('Dynamic threshold: margin over the largest normal error (Hundman et al.: 0.13).'),
    floor_scales: z.number().min(0).default(0.5).describe('Dynamic threshold: never below this many residual scales.'),
    tail_calibration: z.boolean().default(true).describe('Correct heavy tails online so that ~1% of normal steps score above 0.99.'),
    tail_calibration_rate: z.number().positive().max(1).default(0.05).describe('Relative step of the 99th-percentile tracker.'),
    cusum_k: z.number().min(0).default(0.5).describe('CUSUM drift k in sigmas (about half the smallest shift worth detecting).'),
    cusum_h: z.number().positive().default(5).describe('CUSUM alarm threshold h in sigmas; the sums restart once it is reached.'),
    cusum_clip: z
      .number()
      .positive()
      .default(4)
      .describe('|z| is clipped at this before entering the CUSUM, so a lone outlier cannot alarm (keep clip - k < h).'),
    likelihood_short_steps: z.number().min(1).default(10).describe('Anomaly likelihood: EWMA span of the recent mean surprise, in steps.'),
    combined_level_span: z.number().min(1).default(8).describe('Combined detector: EWMA span (steps) of the level-shift part.'),
    combined_variance_window: z
      .number()
      .int()
      .min(2)
      .max(256)
      .multipleOf(2)
      .default(12)
      .describe('Combined detector: squared z summed by the variance part (even; χ² with that many degrees of freedom).'),
    season_steps: z
      .number()
      .int()
      .min(0)
      .max(MAX_SEASON_STEPS)
      .optional()
      .describe(
        "Combined detector: steps in one season for the seasonal part (default: one day of the pipeline's steps when that is 2 to 1440 steps, else none; 0: none).",
      ),
    combined_seasonal_span: z.number().min(1).default(6).describe('Combined detector: EWMA span (steps) of the seasonal part.'),
    baseline_half_life_steps: z
      .number()
      .min(1)
      .default(600)
      .describe('Baseline deviation: half-life of the slow baseline (mean and variance of the value), in steps.'),
    baseline_span_steps: z.number().min(1).default(10).describe('Baseline deviation: EWMA span of the smoothed deviation, in steps.'),
    baseline_freeze_z: z
      .number()
      .positive()
      .default(5)
      .describe('Baseline deviation: the baseline stops learning while the scaled smoothed deviation is at least this (its sds).'),
    baseline_max_freeze_steps: z
      .number()
      .int()
      .min(1)
      .default(300)
      .describe('Baseline deviation: frozen steps after which the baseline learns again (the change is the new normal).'),
    likelihood_long_steps: z
      .number()
      .min(1)
      .default(1000)
      .describe("Anomaly likelihood: half-life of the stream's long-run surprise statistics, in steps."),
  })
  .strict();
export type ScorerOptions = z.infer<typeof ScorerOptions>;

export const AlertingOptions = z
  .object({
    base_url: z.string().default('http://localhost:8080').describe('Dashboard base URL for alert links.'),
    scorer: ScorerOptions.default(ScorerOptions.parse({})),
    rules: z.array(AlertRuleOptions).default([]),
    storm_control: z
      .object({
        max_per_minute: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('Alerts per minute per pipeline before one summary replaces the rest.'),
      })
      .strict()
      .default({ max_per_minute: 30 }),
    silences: z.array(SilenceOptions).default([]),
    groups: z
      .record(z.string().regex(/^[A-Za-z0-9_./-]+$/), z.array(z.string().min(1)).min(1))
      .default({})
      .describe('Named assets for rules with group_by: groups: name -> stream globs (a stream joins the first group that matches).'),
  })
  .strict()
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `duplicate rule name ${r.name}`, path: ['rules', i, 'name'] });
      seen.add(r.name);
      if (r.group_by !== 'stream' && r.detector !== 'surprise' && r.detector !== 'combined') {
        ctx.addIssue({
          code: 'custom',
          message: `rule ${r.name}: group_by ${r.group_by} needs detector surprise or combined (a -log10 p per member), got ${r.detector}`,
          path: ['rules', i, 'detector'],
        });
      }
      if (r.group_by === 'groups' && Object.keys(a.groups).length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `rule ${r.name}: group_by groups but alerting.groups is empty`,
          path: ['rules', i, 'group_by'],
        });
      }
      // The CUSUM restarts at h, so its level never exceeds h: a higher threshold could never fire.
      if (r.detector === 'cusum' && r.warning > a.scorer.cusum_h) {
        ctx.addIssue({
          code: 'custom',
          message: `rule ${r.name}: cusum warning ${r.warning} above scorer.cusum_h ${a.scorer.cusum_h} never fires`,
          path: ['rules', i, 'warning'],
        });
      }
    });
  });
export type AlertingOptions = z.infer<typeof AlertingOptions>;

/** Whether any rule reads the combined detector or its variance part (it costs state per stream, so it is off otherwise). */
export function usesCombined(rules: readonly AlertRuleOptions[]): boolean {
  return rules.some((r) => r.detector === 'combined' || r.detector === 'variance');
}

/** The seasonal part's season in steps: explicit, else one day of `stepMs` steps when that fits, else 0. */
export function seasonSteps(s: ScorerOptions, stepMs?: number): number {
  if (s.season_steps !== undefined) return s.season_steps;
  if (!(stepMs !== undefined && stepMs > 0)) return 0;
  const day = Math.round(86_400_000 / stepMs);
  return day >= 2 && day <= MAX_SEASON_STEPS && day * stepMs === 86_400_000 ? day : 0;
}

/** combined: compute the combined detector (usesCombined); stepMs: the pipeline's step, for the default season. */
export function toStepScorerOptions(s: ScorerOptions, combined = false, stepMs?: number): StepScorerOptions {
  return {
    horizons: s.horizons,
    residualScale: { halfLifeSteps: s.residual_half_life_steps, warmupSteps: s.warmup_steps, clipZ: s.clip_z },
    dynamicThreshold: {
      smoothingSpan: s.smoothing_span,
      windowSteps: s.window_steps,
      refitEvery: s.refit_every,
      zMin: s.z_min,
      zMax: s.z_max,
      zStep: s.z_step,
      prune: s.prune,
      floorScales: s.floor_scales,
    },
    tailCalibration: s.tail_calibration ? { rate: s.tail_calibration_rate, maxFactor: 4, warmup: 50 } : null,
    cusum: { k: s.cusum_k, h: s.cusum_h, clip: s.cusum_clip },
    combined: combined
      ? {
          levelSpan: s.combined_level_span,
          varianceWindow: s.combined_variance_window,
          seasonSteps: seasonSteps(s, stepMs),
          seasonalSpan: s.combined_seasonal_span,
        }
      : null,
    likelihood: { shortSpan: s.likelihood_short_steps, longHalfLife: s.likelihood_long_steps, warmup: 30, clipSds: 3 },
    baseline: {
      halfLife: s.baseline_half_life_steps,
      span: s.baseline_span_steps,
      freezeZ: s.baseline_freeze_z,
      maxFreeze: s.baseline_max_freeze_steps,
      warmup: 50,
    },
  };
}

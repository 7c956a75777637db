import { z } from 'zod';

// `step_ms` as a pipeline file writes it: milliseconds, a duration string ("30m", "1h", "15s", "1d",
// "1h30m") or `auto`. Durations become milliseconds at parse time. `auto` parses to AUTO_STEP_MS
// (never a real step) and must be replaced by the step inferred from the data
// (src/runtime/infer-step.ts) before a stream pipeline is built from the options.

/**
 * The parsed value of `step_ms: auto`, to be replaced by the inferred step before use: a valid
 * positive integer (parsed options parse again) that no real grid step is (285 000 years).
 */
export const AUTO_STEP_MS = Number.MAX_SAFE_INTEGER;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration like "30m", "1.5h", "1h30m", "250ms"; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

/** A step in milliseconds as the shortest duration string ("1h", "90s", "1h30m"). */
export function formatDuration(ms: number): string {
  if (!(ms > 0) || !Number.isFinite(ms)) return String(ms);
  let left = Math.round(ms);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}

/**
 * Strings become milliseconds before the number check, so that a parsed value parses again to
 * itself and a bad step reads as before ("must be > 0, got -5"); a string that is no duration stays
 * a string and fails as "expected number".
 */
export const StepSetting = z
  .preprocess(
    (v) => (typeof v !== 'string' ? v : v.trim() === 'auto' ? AUTO_STEP_MS : (parseDuration(v) ?? v)),
    z.number().int().positive(),
  )
  .describe('Grid step in milliseconds (600000: 10 min, 1000: 1 s), a duration ("10m", "1h", "1d") or "auto" (inferred from the data).');

/** True when the options' step is still `auto` (not yet inferred from data). */
export function isAutoStep(o: { readonly step_ms: number }): boolean {
  return o.step_ms === AUTO_STEP_MS;
}

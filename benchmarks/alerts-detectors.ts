// The three detectors the bench compares. All share one episode rule (an episode opens on a flagged
// step and closes after `resolveSteps` unflagged ones) and skip imputed steps.
import { AlertEngine } from '../src/alerting/alert-engine.js';
import type { BenchStream } from './alerts-data.js';
import { forecastBuffers, type Forecaster } from './alerts-forecaster.js';

export const RESOLVE_STEPS = 3;

/** Opens an episode on a flagged step when none is open; returns true at each opening. */
export class EpisodeTracker {
  private open = false;
  private calm = 0;
  next(flagged: boolean): boolean {
    if (flagged) {
      this.calm = 0;
      if (this.open) return false;
      this.open = true;
      return true;
    }
    if (this.open && ++this.calm >= RESOLVE_STEPS) this.open = false;
    return false;
  }
}

export interface TidecastRun {
  readonly onsets: number[];
  /** The rule of each onset. */
  readonly rules: string[];
  /** Scored steps from `from` on, and how many had score > 0.99. */
  readonly scored: number;
  readonly above099: number;
}

/** The real alerting path: forecaster -> AlertEngine.step with the bench's rules. */
export function runTidecast(
  stream: BenchStream,
  values: Float64Array,
  forecaster: Forecaster,
  slot: number,
  alerting: unknown,
  from: number,
): TidecastRun {
  const engine = new AlertEngine('bench', alerting);
  const buf = forecastBuffers(forecaster.horizons);
  const f = {
    t: 0,
    stepMs: stream.stepMs,
    modelVersion: forecaster.name,
    mean: buf.mean,
    lower: buf.lower,
    upper: buf.upper,
    logVar: forecaster.hasVariance ? buf.logVar : undefined,
  };
  const onsets: number[] = [];
  const rules: string[] = [];
  const open = new Set<string>();
  let lastOnset = -Infinity;
  let scored = 0,
    above = 0;
  for (let i = 0; i < values.length; i++) {
    const t = stream.t0 + i * stream.stepMs;
    const imputed = stream.imputed[i] === 1;
    forecaster.step(slot, values[i], imputed, buf);
    f.t = t;
    const events = engine.step(stream.key, t, stream.stepMs, values[i], imputed, f);
    const s = engine.lastScore;
    if (i >= from && s.scored) {
      scored++;
      if (s.score > 0.99) above++;
    }
    for (const e of events) {
      if (e.state !== 'firing' || open.has(e.id)) continue;
      open.add(e.id);
      // Alerts of several rules on one stream within RESOLVE_STEPS are one notification group.
      if (i >= from && i - lastOnset > RESOLVE_STEPS) {
        onsets.push(i);
        rules.push(e.rule);
      }
      if (i >= from) lastOnset = i;
    }
  }
  return { onsets, rules, scored, above099: above };
}

/** Static bounds from the warm-up stretch: mean ± k·std of the values before `from`. */
export function runThreshold(stream: BenchStream, values: Float64Array, from: number, k: number): number[] {
  let n = 0,
    s = 0,
    s2 = 0;
  for (let i = 0; i < from; i++) {
    if (stream.imputed[i]) continue;
    n++;
    s += values[i];
    s2 += values[i] * values[i];
  }
  const mean = s / n;
  const sd = Math.sqrt(Math.max(0, s2 / n - mean * mean));
  const ep = new EpisodeTracker();
  const onsets: number[] = [];
  for (let i = from; i < values.length; i++) {
    if (stream.imputed[i]) continue;
    if (ep.next(Math.abs(values[i] - mean) > k * sd)) onsets.push(i);
  }
  return onsets;
}

/** Rolling z-score: |x - mean| > k·std over the previous `window` real values. */
export function runZScore(stream: BenchStream, values: Float64Array, from: number, window: number, k: number): number[] {
  const ring = new Float64Array(window);
  let n = 0,
    s = 0,
    s2 = 0;
  const ep = new EpisodeTracker();
  const onsets: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (stream.imputed[i]) continue;
    const x = values[i];
    if (n >= window) {
      const mean = s / window;
      const sd = Math.sqrt(Math.max(0, s2 / window - mean * mean));
      const flagged = Math.abs(x - mean) > k * sd;
      if (ep.next(flagged) && i >= from) onsets.push(i);
      const old = ring[n % window];
      s -= old;
      s2 -= old * old;
    }
    ring[n % window] = x;
    s += x;
    s2 += x * x;
    n++;
  }
  return onsets;
}

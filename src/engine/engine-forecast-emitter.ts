import type { Forecast } from '../core/types.js';
import { STEP_FORECAST, STEP_IMPUTED, STEP_IN_FIT, STEP_WARM, type ForecastSteps } from './engine-forecast-steps.js';
import type { EngineListener, EngineStats } from './engine-listener.js';
import type { PendingForecasts } from './engine-pending-forecasts.js';
import type { ModelRunner } from './model-runner.js';
import type { StreamReadouts } from '../forecasting/stream-readouts.js';
import { clampToRange, fromLevel, type LevelRange } from './shaping.js';
import type { TickBuffer } from './tick-buffer.js';

// One stepped grid step's results: the model's outputs back to data units as a Forecast, the new
// pending forecast, and the step recorded for the alert stage (engine-forecast-steps.ts: the actual,
// the forecast pending for it, the new forecast and the model's variance), which scores it and makes
// its StepRow and alerts (engine-alert-stage.ts). Separate from batching so that the mapping model
// output -> forecast reads in one place.

/** Steps of a stream before the model's variance is trusted for scoring. */
export const WARMUP_STEPS = 24;

export interface ForecastEmitterParts {
  readonly pipeline: string;
  readonly stepMs: number;
  readonly horizon: number;
  /** Half-width of the forecast interval in standard deviations (model.interval_z). */
  readonly intervalZ: number;
  /** The target field's transform (Shaping.transform). */
  readonly transform: number;
  readonly runner: ModelRunner;
  /** Where each step is recorded for the alert stage. */
  readonly steps: ForecastSteps;
  readonly listener: EngineListener;
  readonly stats: EngineStats;
  readonly pending: PendingForecasts;
  /** The online readouts that serve (model.forecaster hybrid / readout); undefined: the model's own head. */
  readonly readouts: StreamReadouts | undefined;
  /** model.range: forecasts and bands are kept inside it (data units). */
  readonly range: LevelRange;
}

export class ForecastEmitter {
  private readonly pipeline: string;
  private readonly stepMs: number;
  private readonly horizon: number;
  private readonly intervalZ: number;
  private readonly transform: number;
  private readonly runner: ModelRunner;
  private readonly steps: ForecastSteps;
  private readonly listener: EngineListener;
  private readonly stats: EngineStats;
  private readonly pending: PendingForecasts;
  private readonly readouts: StreamReadouts | undefined;
  private readonly range: LevelRange;
  /** The readouts' forecast changes and half-widths (units of the normaliser's scale), reused. */
  private readonly delta: Float64Array;
  private readonly half: Float64Array;
  /**
   * The Forecast and its arrays reused from step to step when nothing keeps them: the listener has
   * no `forecast` callback, or declares that it copies (forecastCopies); the alert stage reads its
   * copy in ForecastSteps. A replay, a benchmark or a daemon without forecast sinks then allocates nothing per
   * forecast. Otherwise each forecast gets its own arrays, as the Forecast contract promises listeners.
   */
  private readonly reused: { -readonly [K in keyof Forecast]: Forecast[K] };
  /**
   * The offline fit's window: the first `fitSteps` steps of the `fitStreams` were trained on, so the
   * alert stage does not score them (in-sample residuals would flatter its scales and mean nothing).
   */
  fitSteps = 0;
  fitStreams: ReadonlySet<string> = new Set();

  // The parts are copied to fields: one load per use on the hot path, not two.
  constructor(p: ForecastEmitterParts) {
    this.pipeline = p.pipeline;
    this.stepMs = p.stepMs;
    this.horizon = p.horizon;
    this.intervalZ = p.intervalZ;
    this.transform = p.transform;
    this.runner = p.runner;
    this.steps = p.steps;
    this.listener = p.listener;
    this.stats = p.stats;
    this.pending = p.pending;
    this.readouts = p.readouts;
    this.range = p.range;
    this.delta = new Float64Array(p.horizon);
    this.half = new Float64Array(p.horizon);
    this.reused = {
      pipeline: p.pipeline,
      key: '',
      t: 0,
      stepMs: p.stepMs,
      modelVersion: '',
      mean: new Float64Array(p.horizon),
      lower: new Float64Array(p.horizon),
      upper: new Float64Array(p.horizon),
    };
  }

  /** Emits tick i of `ticks`, whose model outputs are y[yOff ..] (mean, log-variance per horizon step). */
  emit(ticks: TickBuffer, i: number, y: Float32Array, yOff: number): void {
    const slot = ticks.slot[i];
    const key = this.runner.arena.keyOf(slot) as string;
    const t = ticks.t[i];
    const actual = ticks.value[i];
    const imputed = ticks.imputed[i] === 1;
    // The model forecasts the change of the level (transformed value) in units of the normaliser's
    // scale, and its log-variance; the interval is central in level space and mapped back.
    const u = ticks.level[i];
    const sd = ticks.scale[i];
    const tr = this.transform;
    const z = this.intervalZ;
    const H = this.horizon;
    // Read per step (not cached at construction): a listener's callbacks may be set later.
    const wantsForecast = this.listener.forecast !== undefined;
    const reuse = !wantsForecast || this.listener.forecastCopies === true;
    const mean = reuse ? this.reused.mean : new Float64Array(H);
    const lower = reuse ? this.reused.lower : new Float64Array(H);
    const upper = reuse ? this.reused.upper : new Float64Array(H);
    const readouts = this.readouts;
    if (readouts !== undefined) {
      // The served forecast: the readouts' changes and calibrated half-widths (see stream-readouts.ts).
      const ok = readouts.step(slot, t, u, ticks.centre[i], sd, imputed, ticks.reset[i] === 1, y, yOff, this.delta, this.half);
      for (let h = 0; h < H; h++) {
        const mu = ok ? u + sd * this.delta[h] : NaN;
        const w = sd * this.half[h];
        mean[h] = fromLevel(tr, mu);
        lower[h] = fromLevel(tr, mu - w);
        upper[h] = fromLevel(tr, mu + w);
      }
    } else {
      for (let h = 0; h < H; h++) {
        const lv = Math.min(10, Math.max(-10, y[yOff + 2 * h + 1]));
        const mu = u + sd * y[yOff + 2 * h];
        const sigma = sd * Math.exp(0.5 * lv);
        mean[h] = fromLevel(tr, mu);
        lower[h] = fromLevel(tr, mu - z * sigma);
        upper[h] = fromLevel(tr, mu + z * sigma);
      }
    }
    // Until the stream has a few steps its scale is unreliable: the alert stage then uses its own
    // warmed-up residual scale instead of the model's variance (data units, from the interval).
    const warm = ticks.seen[i] >= WARMUP_STEPS;
    // No forecast where the level is unknown (a log transform of a value that is not > 0 is dead-lettered).
    const hasForecast = Number.isFinite(mean[0]);
    const inFit = ticks.seen[i] <= this.fitSteps && this.fitStreams.has(key);
    const flags = (imputed ? STEP_IMPUTED : 0) | (inFit ? STEP_IN_FIT : 0) | (hasForecast ? STEP_FORECAST : 0) | (warm ? STEP_WARM : 0);
    const steps = this.steps;
    const j = steps.add(key, slot, t, actual, flags, this.runner.version);
    const o = j * H;
    // That variance comes from the band before the range cuts it (a band clipped at zero is no sign
    // of a smaller error).
    if (warm && hasForecast) for (let h = 0; h < H; h++) steps.logVar[o + h] = 2 * Math.log((upper[h] - lower[h]) / (2 * z));
    if (this.range.bounded) clampToRange(this.range, mean, lower, upper);
    if (hasForecast) {
      steps.mean.set(mean, o);
      steps.lower.set(lower, o);
      steps.upper.set(upper, o);
    }
    // The step's row pairs its actual with the forecast pending for it (made one step earlier).
    const pending = this.pending;
    if (pending.t[slot] === t) steps.pair(j, pending.mean[slot], pending.lower[slot], pending.upper[slot]);
    this.stats.steps++;
    this.listener.actual?.(key, t, actual, imputed);
    if (!hasForecast) {
      pending.clear(slot);
      return;
    }
    const forecast: Forecast | undefined = wantsForecast ? this.forecastOf(reuse, key, t, mean, lower, upper) : undefined;
    this.pending.set(slot, t + this.stepMs, mean[0], lower[0], upper[0]);
    this.stats.forecasts++;
    if (forecast !== undefined) this.listener.forecast?.(forecast, imputed ? null : actual);
  }

  /** This step's Forecast: the reused one refilled, or a new one. */
  private forecastOf(reuse: boolean, key: string, t: number, mean: Float64Array, lower: Float64Array, upper: Float64Array): Forecast {
    if (!reuse) return { pipeline: this.pipeline, key, t, stepMs: this.stepMs, modelVersion: this.runner.version, mean, lower, upper };
    const f = this.reused;
    f.key = key;
    f.t = t;
    f.modelVersion = this.runner.version;
    return f;
  }
}

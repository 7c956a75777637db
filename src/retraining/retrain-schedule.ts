// When to retrain: every `everyMs` of wall time, every `everySteps` new live steps, or on drift,
// i.e. when the rolling one-step error of the live model rises `driftFactor` times over the level
// it settled at after the last promotion (the mean of the first `baselineSteps` errors since), at
// least `baselineSteps` steps after the last run started.

export type RetrainReason = 'interval' | 'steps' | 'drift' | 'manual';

export interface ScheduleOptions {
  /** 0 = off. */
  readonly everyMs: number;
  /** 0 = off. */
  readonly everySteps: number;
  /** 0 = off. */
  readonly driftFactor: number;
  readonly baselineSteps: number;
  /** Weight of each new squared error in the rolling mean. */
  readonly errorAlpha: number;
}

export interface ScheduleSnapshot {
  readonly stepsSince: number;
  readonly baselineSum: number;
  readonly baselineCount: number;
  readonly rollingError: number | null;
}

export class RetrainSchedule {
  private lastRunAt: number;
  private stepsSince = 0;
  private baselineSum = 0;
  private baselineCount = 0;
  /** Rolling mean squared one-step error, NaN until the first error. */
  rollingError = NaN;

  constructor(
    readonly options: ScheduleOptions,
    now: number,
  ) {
    this.lastRunAt = now;
  }

  /** The level after the last promotion, NaN until baselineSteps errors were seen. */
  get baseline(): number {
    return this.baselineCount >= this.options.baselineSteps ? this.baselineSum / this.baselineCount : NaN;
  }

  observeStep(squaredError: number): void {
    this.stepsSince++;
    if (!Number.isFinite(squaredError)) return;
    const a = this.options.errorAlpha;
    this.rollingError = Number.isNaN(this.rollingError) ? squaredError : (1 - a) * this.rollingError + a * squaredError;
    if (this.baselineCount < this.options.baselineSteps) {
      this.baselineSum += squaredError;
      this.baselineCount++;
    }
  }

  due(now: number): RetrainReason | undefined {
    const o = this.options;
    // At most one drift run per baselineSteps steps: a rejected run leaves the error high.
    if (o.driftFactor > 0 && this.stepsSince >= o.baselineSteps && this.rollingError > o.driftFactor * this.baseline) return 'drift';
    if (o.everySteps > 0 && this.stepsSince >= o.everySteps) return 'steps';
    if (o.everyMs > 0 && now - this.lastRunAt >= o.everyMs) return 'interval';
    return undefined;
  }

  /** A run started: the step and time counters start again. */
  started(now: number): void {
    this.lastRunAt = now;
    this.stepsSince = 0;
  }

  /** The counters, for a checkpoint (wall-clock time is not kept: it restarts on restore). */
  snapshot(): ScheduleSnapshot {
    return {
      stepsSince: this.stepsSince,
      baselineSum: this.baselineSum,
      baselineCount: this.baselineCount,
      rollingError: this.rollingError,
    };
  }

  restore(s: ScheduleSnapshot): void {
    this.stepsSince = s.stepsSince;
    this.baselineSum = s.baselineSum;
    this.baselineCount = s.baselineCount;
    // JSON has no NaN: a missing rolling error comes back as null.
    this.rollingError = s.rollingError ?? NaN;
  }

  /** A new model went live: its error level is learned afresh. */
  promoted(): void {
    this.baselineSum = 0;
    this.baselineCount = 0;
    this.rollingError = NaN;
  }
}

import type { ForecastStore } from '../../src/api/forecast-store.js';
import type { AlertEvent } from '../../src/core/alert-event.js';
import type { Forecast, StreamKey } from '../../src/core/types.js';

// Synthetic load for the dashboard bench and the many-streams dashboard test: N seasonal streams
// over three pipelines, each with a history, a full-horizon forecast per step and, on one stream in
// a hundred, a firing alert; then one step of every stream per tick, as a live daemon writes them.

const STEP_MS = 3_600_000;
const HORIZON = 12;
const PIPELINES = ['health', 'stocks', 'weather'] as const;

export class DashboardLoad {
  private step = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly keys: StreamKey[];
  private readonly pipelineOf: string[];
  private readonly forecast: Forecast[];
  private readonly t0 = Date.UTC(2024, 0, 1);

  constructor(
    private readonly store: ForecastStore,
    readonly streams: number,
  ) {
    this.keys = [];
    this.pipelineOf = [];
    this.forecast = [];
    for (let i = 0; i < streams; i++) {
      const pipeline = PIPELINES[i % PIPELINES.length];
      const key = `${pipeline}/site${String(i % 97).padStart(2, '0')}/s${String(i).padStart(6, '0')}` as StreamKey;
      this.keys.push(key);
      this.pipelineOf.push(pipeline);
      this.forecast.push({
        pipeline,
        key,
        t: 0,
        stepMs: STEP_MS,
        modelVersion: `${pipeline}-v1`,
        mean: new Float64Array(HORIZON),
        lower: new Float64Array(HORIZON),
        upper: new Float64Array(HORIZON),
      });
    }
    for (const p of PIPELINES) {
      store.upsertPipeline({
        name: p,
        modelVersion: `${p}-v1`,
        stepMs: STEP_MS,
        model: { cell: 'gru', layers: 1, units: 16, horizon: HORIZON },
        sources: ['synthetic'],
        sinks: [],
      });
    }
  }

  /** n steps of every stream at once (the history before the page opens). */
  advance(n: number): void {
    for (let k = 0; k < n; k++) this.tick();
  }

  /** Then one step of every stream every `ms`. */
  start(ms: number): void {
    this.timer = setInterval(() => this.tick(), ms);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private value(i: number, k: number): number {
    return 50 + (i % 17) + 10 * Math.sin((2 * Math.PI * (k + i)) / 24);
  }

  private tick(): void {
    const k = this.step++;
    const t = this.t0 + k * STEP_MS;
    for (let i = 0; i < this.keys.length; i++) {
      const v = this.value(i, k) + ((k * 7919 + i * 104_729) % 13) / 13 - 0.5;
      this.store.recordActual(this.pipelineOf[i], this.keys[i], t, v);
      const f = this.forecast[i] as { t: number } & Forecast;
      f.t = t;
      for (let h = 0; h < HORIZON; h++) {
        const m = this.value(i, k + h + 1);
        f.mean[h] = m;
        f.lower[h] = m - 1 - 0.2 * h;
        f.upper[h] = m + 1 + 0.2 * h;
      }
      this.store.recordForecast(f);
      if (i % 100 === 0 && k === 100) this.store.recordAlert(alertOf(this.keys[i], this.pipelineOf[i], t, v));
    }
  }
}

function alertOf(stream: string, pipeline: string, t: number, actual: number): AlertEvent {
  return {
    id: `${stream}|deviation|${t}`,
    pipeline,
    stream,
    rule: 'deviation',
    detector: 'score',
    state: 'firing',
    severity: 'critical',
    time: t,
    episodeStart: t,
    actual,
    forecast: actual - 5,
    interval: { lower: actual - 7, upper: actual - 3 },
    score: 0.9999,
    surprise: 4,
    level: 0.999,
    modelVersion: `${pipeline}-v1`,
    dashboardUrl: '',
  };
}

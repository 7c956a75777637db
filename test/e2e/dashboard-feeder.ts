import type { AlertEvent } from '../../src/core/alert-event.js';
import type { ForecastStore } from '../../src/api/forecast-store.js';

// A synthetic feeder for the dashboard when no runtime is wired: a few seasonal streams with noise,
// a one-step forecast that knows the seasonality, an interval from the noise level, and an injected
// spike that raises and resolves an alert. Deterministic (seeded), so screenshots are comparable.

export interface FeederStream {
  readonly pipeline: string;
  readonly key: string;
  readonly base: number;
  readonly amplitude: number;
  readonly periodSteps: number;
  readonly noise: number;
}

export const FEEDER_STREAMS: readonly FeederStream[] = [
  { pipeline: 'weather', key: 'weather/WTH/WetBulbCelsius', base: 8, amplitude: 6, periodSteps: 24, noise: 0.6 },
  { pipeline: 'weather', key: 'weather/WTH/RelativeHumidity', base: 70, amplitude: 15, periodSteps: 24, noise: 3 },
  { pipeline: 'stocks', key: 'stocks/AAPL/close', base: 150, amplitude: 8, periodSteps: 60, noise: 1.2 },
  { pipeline: 'health', key: 'health/2022484408/bpm', base: 78, amplitude: 10, periodSteps: 40, noise: 2.5 },
];

const STEP_MS = 3_600_000;
const HORIZON = 6;
const Z = 1.96;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export class DashboardFeeder {
  private step = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly rand = lcg(42);
  private readonly t0 = Date.UTC(2013, 0, 1);

  constructor(private readonly store: ForecastStore) {
    for (const p of new Set(FEEDER_STREAMS.map((s) => s.pipeline))) {
      this.store.upsertPipeline({
        name: p,
        modelVersion: `${p}-v1`,
        stepMs: STEP_MS,
        model: { cell: 'lstm', layers: 1, units: 16, horizon: HORIZON },
        sources: ['synthetic'],
        sinks: [],
      });
    }
  }

  /** Writes n steps at once (history before the page loads). */
  advance(n: number): void {
    for (let i = 0; i < n; i++) this.tick();
  }

  /** Then one step every `ms`. */
  start(ms: number): void {
    this.timer = setInterval(() => this.tick(), ms);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private seasonal(s: FeederStream, k: number): number {
    return s.base + s.amplitude * Math.sin((2 * Math.PI * k) / s.periodSteps);
  }

  private tick(): void {
    const k = this.step++;
    const t = this.t0 + k * STEP_MS;
    for (const s of FEEDER_STREAMS) {
      const spike = s.key === FEEDER_STREAMS[0].key && k % 150 >= 100 && k % 150 < 104 ? (5 * s.amplitude) / 3 : 0;
      const actual = this.seasonal(s, k) + s.noise * 2 * this.rand() + spike;
      this.store.recordActual(s.pipeline, s.key, t, actual);
      const mean = new Float64Array(HORIZON);
      const lower = new Float64Array(HORIZON);
      const upper = new Float64Array(HORIZON);
      for (let h = 0; h < HORIZON; h++) {
        mean[h] = this.seasonal(s, k + h + 1);
        const w = Z * s.noise * Math.sqrt(h + 1) * 0.6;
        lower[h] = mean[h] - w;
        upper[h] = mean[h] + w;
      }
      this.store.recordForecast({
        pipeline: s.pipeline,
        key: s.key,
        t,
        stepMs: STEP_MS,
        modelVersion: `${s.pipeline}-v1`,
        mean,
        lower,
        upper,
      });
      if (spike > 0 && k % 150 === 100) this.store.recordAlert(alertOf(s, t, actual, this.seasonal(s, k), 'firing'));
      if (s.key === FEEDER_STREAMS[0].key && k % 150 === 104)
        this.store.recordAlert(alertOf(s, t, actual, this.seasonal(s, k), 'resolved', t - 4 * STEP_MS));
    }
  }
}

function alertOf(s: FeederStream, t: number, actual: number, forecast: number, state: AlertEvent['state'], episodeStart = t): AlertEvent {
  return {
    id: `${s.key}|deviation|${episodeStart}`,
    pipeline: s.pipeline,
    stream: s.key,
    rule: 'deviation',
    detector: 'score',
    state,
    severity: 'critical',
    time: t,
    episodeStart,
    actual,
    forecast,
    interval: { lower: forecast - 1.2 * s.noise, upper: forecast + 1.2 * s.noise },
    score: 0.999,
    surprise: 3,
    level: 0.999,
    modelVersion: `${s.pipeline}-v1`,
    dashboardUrl: '',
  };
}

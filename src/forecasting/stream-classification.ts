import type { AlertEvent } from '../core/alert-event.js';
import type { Forecast } from '../core/types.js';
import { DEVIATION_KINDS, DeviationClassifier, type DeviationKind } from './deviation-classifier.js';
import { REGIMES, RegimeClassifier, type Regime } from './regime-classifier.js';

// model.classify: a pipeline's many-to-one classifiers, fed by the engine's listener. Every value
// steps the regime classifier (with the change the stream's latest forecast expected over its
// horizon: the model head's reading of the recurrent state) and a per-stream ring of recent values;
// every `learnEvery` steps of a stream with no alert open, the deviation classifier learns from the
// ring (self-supervised injections). Alerts get the kind probabilities of the window they fired on.
// Per-stream state is typed arrays grown when a stream is added; nothing is allocated per value.

export interface StreamClassificationView {
  /** Regime of the coming horizon: class probabilities, and the regime of the horizon just ended. */
  readonly regime: { readonly horizon: number; readonly probabilities: Record<Regime, number> | null; readonly last: Regime | null };
}

export type DeviationProbabilities = Record<DeviationKind, number>;

export class StreamClassification {
  readonly regime: RegimeClassifier;
  readonly deviation: DeviationClassifier;
  private readonly learnEvery: number;
  private readonly slots = new Map<string, number>();
  private capacity = 0;
  private ring = new Float64Array(0); // slot × window, oldest first after unrolling
  private seen = new Float64Array(0);
  private forecastChange = new Float64Array(0);
  private openAlerts = new Int32Array(0);
  private lastAlertAt = new Float64Array(0); // the stream's value count at its latest open alert event
  private readonly window: Float64Array;
  private readonly probs = new Float64Array(DEVIATION_KINDS.length);
  private readonly regimeProbs = new Float64Array(REGIMES.length);

  constructor(horizon: number, options: { readonly learnEvery?: number; readonly seed?: number } = {}) {
    this.regime = new RegimeClassifier({ horizon });
    this.deviation = new DeviationClassifier({ seed: options.seed ?? 1 });
    this.learnEvery = options.learnEvery ?? 16;
    this.window = new Float64Array(this.deviation.window);
  }

  /** A grid step's value (imputed values are not learned from). */
  actual(key: string, value: number, imputed: boolean): void {
    if (imputed || !Number.isFinite(value)) return;
    const s = this.slot(key);
    this.regime.observe(key, value, this.forecastChange[s]);
    const W = this.deviation.window;
    const n = this.seen[s]++;
    this.ring[s * W + (n % W)] = value;
    // No learning while an episode is open (its windows are not clean), unless its events stopped
    // long ago (an episode whose resolution never came must not stop learning for good).
    const open = this.openAlerts[s] > 0 && n - this.lastAlertAt[s] < 10 * W;
    if (n + 1 >= W && !open && (n + 1) % this.learnEvery === 0) {
      this.unroll(s);
      this.deviation.learnFromClean(this.window, W);
    }
  }

  /** The stream's latest forecast: its mean over the horizon minus the value it was made at. */
  forecast(f: Forecast, actual: number | null): void {
    const s = this.slot(f.key);
    let m = 0;
    for (let h = 0; h < f.mean.length; h++) m += f.mean[h] / f.mean.length;
    this.forecastChange[s] = actual === null ? Number.NaN : m - actual;
  }

  /**
   * An alert event of `key`: returns the deviation-kind probabilities of the stream's last window
   * (null while the classifier or the stream warms up) and tracks open episodes (no learning then).
   */
  alert(key: string, state: 'pending' | 'firing' | 'resolved', opened: boolean): DeviationProbabilities | null {
    const s = this.slots.get(key);
    if (s === undefined) return null; // e.g. a group rule's asset key
    if (opened) this.openAlerts[s]++;
    else if (state === 'resolved' && this.openAlerts[s] > 0) this.openAlerts[s]--;
    if (state !== 'resolved') this.lastAlertAt[s] = this.seen[s];
    const W = this.deviation.window;
    if (state === 'resolved' || this.seen[s] < W) return null;
    this.unroll(s);
    if (!this.deviation.classify(this.window, W, this.probs)) return null;
    return Object.fromEntries(DEVIATION_KINDS.map((k, i) => [k, round(this.probs[i])])) as DeviationProbabilities;
  }

  /** The alert event with the deviation-kind probabilities added (an episode opens at its first event). */
  annotate(a: AlertEvent): AlertEvent {
    if (a.detector === 'storm_control') return a;
    const kinds = this.alert(a.stream, a.state, a.state !== 'resolved' && a.time === a.episodeStart);
    return kinds === null ? a : { ...a, deviationKinds: kinds };
  }

  /** What /api/streams/:id shows; undefined for a stream never seen. */
  view(key: string): StreamClassificationView | undefined {
    if (!this.slots.has(key)) return undefined;
    const ok = this.regime.probabilities(key, this.regimeProbs);
    const last = this.regime.lastRegime(key);
    return {
      regime: {
        horizon: this.regime.horizon,
        probabilities: ok ? (Object.fromEntries(REGIMES.map((r, i) => [r, round(this.regimeProbs[i])])) as Record<Regime, number>) : null,
        last: last < 0 ? null : REGIMES[last],
      },
    };
  }

  private unroll(s: number): void {
    const W = this.deviation.window,
      n = this.seen[s];
    for (let i = 0; i < W; i++) this.window[i] = this.ring[s * W + ((n - W + i) % W)];
  }

  private slot(key: string): number {
    let s = this.slots.get(key);
    if (s !== undefined) return s;
    s = this.slots.size;
    if (s === this.capacity) {
      const cap = Math.max(16, 2 * this.capacity),
        W = this.deviation.window;
      const grow = (a: Float64Array, per: number) => {
        const b = new Float64Array(cap * per);
        b.set(a);
        return b;
      };
      this.ring = grow(this.ring, W);
      this.seen = grow(this.seen, 1);
      this.forecastChange = grow(this.forecastChange, 1);
      this.forecastChange.fill(Number.NaN, this.capacity);
      const o = new Int32Array(cap);
      o.set(this.openAlerts);
      this.openAlerts = o;
      this.lastAlertAt = grow(this.lastAlertAt, 1);
      this.capacity = cap;
    }
    this.slots.set(key, s);
    return s;
  }
}

const round = (p: number) => Math.round(p * 1e4) / 1e4;

// Turns scored steps into alert events for one pipeline: per (stream, rule) lifecycle with `for`,
// hysteresis and cooldown, then silences and storm control on what would be sent. Runs in event
// time (the steps' own times); the silence clock is injectable for live use.
import { bytesFromBase64, toBase64 } from '../core/base64.js';
import type { Clock } from '../core/clock.js';
import { alertId, dashboardUrl, type AlertEvent, type AlertSeverity, type StormSummary } from './alert-event.js';
import { AlertRuleState, FIRING, INACTIVE, PENDING } from './alert-rule-state.js';
import type { ForecastInput } from './forecast-ring.js';
import { AlertingOptions, toStepScorerOptions, type AlertRuleOptions } from './rule-options.js';
import { Silences, type Silence } from './silences.js';
import { loadSlot, saveSlot, slotWidth, SlotIndex, type SlotColumns } from './slot-arrays.js';
import { StepScore, StepScorer } from './step-scorer.js';
import { StormControl } from './storm-control.js';
import { globToRegExp } from './stream-glob.js';

/** Snapshot format: 2 added the CUSUM sums, 3 the anomaly likelihood (6 doubles per stream); older snapshots are refused. */
export const ALERT_SNAPSHOT_VERSION = 3;

export interface AlertStreamSnapshot {
  readonly v: typeof ALERT_SNAPSHOT_VERSION;
  readonly layout: string;
  readonly modelVersion: string;
  /** Base64 of the stream's state as little-endian doubles. */
  readonly state: string;
}

export interface AlertEngineStats {
  steps: number;
  scored: number;
  unscored: number;
  events: number;
  silenced: number;
  stormSuppressed: number;
}

export class AlertEngine {
  readonly options: AlertingOptions;
  readonly stats: AlertEngineStats = { steps: 0, scored: 0, unscored: 0, events: 0, silenced: 0, stormSuppressed: 0 };
  private readonly slots = new SlotIndex();
  private readonly scorer: StepScorer;
  private readonly rules: readonly AlertRuleOptions[];
  private readonly ruleStreams: readonly RegExp[];
  /** Per slot × rule: 1 if the rule applies to the stream, 2 if it does not, 0 not yet known. */
  private applies = new Uint8Array(0);
  private readonly state: AlertRuleState;
  private readonly silences = new Silences();
  private readonly storm: StormControl;
  private readonly current = new StepScore();
  private readonly out: AlertEvent[] = [];
  /** Every part's entries for a stream never seen: what a released slot is reset to. */
  private readonly blank: Float64Array;

  /** options: the parsed or raw `alerting:` section; clock: "now" for silences (default: event time). */
  constructor(readonly pipeline: string, options: unknown, private readonly clock?: Clock) {
    this.options = AlertingOptions.parse(options);
    this.scorer = new StepScorer(toStepScorerOptions(this.options.scorer));
    this.rules = this.options.rules;
    this.ruleStreams = this.rules.map((r) => globToRegExp(r.streams));
    this.state = new AlertRuleState(this.rules.length);
    this.storm = new StormControl(this.options.storm_control.max_per_minute);
    for (const s of this.options.silences) this.silences.addSilence(s);
    const blank: number[] = [];
    for (const p of this.parts()) saveSlot(p, 0, blank);
    this.blank = Float64Array.from(blank);
  }

  /**
   * One step of one stream: scores `actual` at time t against what was forecast for t, runs the rules,
   * then records `forecast` (made at t, if any) for the steps ahead. Returns the events this step
   * produced, in an array reused by the next call. The last score is in `lastScore`.
   */
  step(stream: string, t: number, stepMs: number, actual: number, imputed: boolean, forecast?: ForecastInput): readonly AlertEvent[] {
    this.out.length = 0;
    this.stats.steps++;
    const slot = this.slots.slotOf(stream);
    const s = this.scorer.score(slot, t, stepMs, actual, imputed, this.current);
    const summary = this.storm.roll(t);
    if (summary) this.pushSummary(summary, t);
    if (s.scored) {
      this.stats.scored++;
      this.state.reserve(this.slots.size);
      for (let r = 0; r < this.rules.length; r++) if (this.ruleApplies(slot, r)) this.advance(slot, r, stream, t, s);
    } else this.stats.unscored++;
    if (forecast) this.scorer.record(slot, forecast);
    return this.out;
  }

  get lastScore(): StepScore {
    return this.current;
  }

  /** Sends the storm summary of the current window, if any (at shutdown or end of a replay). */
  flush(t: number): readonly AlertEvent[] {
    this.out.length = 0;
    const summary = this.storm.flush();
    if (summary) this.pushSummary(summary, t);
    return this.out;
  }

  /**
   * One stream's scoring and lifecycle state, for the pipeline's checkpoint: restored, a firing
   * alert still resolves and the stream needs no new warm-up. null for an unknown stream.
   */
  exportStream(key: string): AlertStreamSnapshot | null {
    const slot = this.slots.find(key);
    if (slot < 0) return null;
    const values: number[] = [];
    for (const p of this.parts()) saveSlot(p, slot, values);
    return { v: ALERT_SNAPSHOT_VERSION, layout: this.layout(), modelVersion: this.scorer.modelVersion(slot), state: toBase64(Float64Array.from(values)) };
  }

  /** Restores a stream from exportStream; false (nothing changed) when rules or sizes differ. */
  importStream(key: string, snap: AlertStreamSnapshot): boolean {
    const bytes = bytesFromBase64(snap.state);
    if (snap.v !== ALERT_SNAPSHOT_VERSION || snap.layout !== this.layout() || bytes.byteLength !== 8 * this.width()) return false;
    const src = new Float64Array(bytes.buffer);
    const slot = this.slots.slotOf(key);
    let off = 0;
    for (const p of this.parts()) off = loadSlot(p, slot, src, off);
    this.scorer.setModelVersion(slot, snap.modelVersion);
    return true;
  }

  /**
   * Forgets a stream (its Kafka partition moved to another instance): its slot is reset to a new
   * stream's state and reused by the next new stream. false for a stream it does not hold.
   */
  dropStream(key: string): boolean {
    const slot = this.slots.release(key);
    if (slot < 0) return false;
    let off = 0;
    for (const p of this.parts()) off = loadSlot(p, slot, this.blank, off);
    this.scorer.setModelVersion(slot, '');
    const r = this.rules.length;
    if (this.applies.length > slot * r) this.applies.fill(0, slot * r, (slot + 1) * r);
    return true;
  }

  private parts(): SlotColumns[] {
    return [...this.scorer.parts(), this.state];
  }

  private width(): number {
    return this.parts().reduce((w, p) => w + slotWidth(p), 0);
  }

  /** What a snapshot's entries mean: rules in order and the widths; a config change invalidates it. */
  private layout(): string {
    return `${this.rules.map((r) => r.name).join(',')}|${this.parts().map(slotWidth).join(',')}`;
  }

  addSilence(input: unknown): Silence { return this.silences.addSilence(input); }
  removeSilence(id: string): boolean { return this.silences.removeSilence(id); }
  restoreSilence(saved: Silence): Silence { return this.silences.restoreSilence(saved); }
  listSilences(now?: number): Silence[] { return this.silences.listSilences(now); }

  private ruleApplies(slot: number, r: number): boolean {
    const i = slot * this.rules.length + r;
    if (this.applies.length <= i) {
      const next = new Uint8Array(Math.max(64, 2 * (i + 1)));
      next.set(this.applies);
      this.applies = next;
    }
    if (this.applies[i] === 0) this.applies[i] = this.ruleStreams[r].test(this.slots.keyOf(slot)) ? 1 : 2;
    return this.applies[i] === 1;
  }

  private advance(slot: number, r: number, stream: string, t: number, s: StepScore): void {
    const rule = this.rules[r];
    const st = this.state;
    const i = slot * this.rules.length + r;
    const level = levelOf(rule, s);
    if (Number.isNaN(level)) return;
    const sev = rule.critical !== undefined && level >= rule.critical ? 2 : 1;
    const active = level >= rule.warning;
    if (st.state[i] === FIRING) {
      if (level < (rule.resolve_below ?? rule.warning)) {
        if (++st.calmSteps[i] >= rule.resolve_steps) {
          st.state[i] = INACTIVE;
          st.cooldownUntil[i] = t + rule.cooldown_ms;
          if (st.unsent[i] === 0) this.emit(rule, stream, t, st.episodeStart[i], 'resolved', st.severity[i], level, s, false);
        }
        return;
      }
      st.calmSteps[i] = 0;
      if (sev > st.severity[i]) {
        st.severity[i] = sev;
        st.unsent[i] = this.emit(rule, stream, t, st.episodeStart[i], 'firing', sev, level, s, true) ? 0 : 1;
      }
      return;
    }
    if (!active) {
      st.state[i] = INACTIVE;
      return;
    }
    if (st.state[i] === INACTIVE) {
      if (t < st.cooldownUntil[i]) return;
      st.state[i] = PENDING;
      st.episodeStart[i] = t;
      st.activeSteps[i] = 0;
      st.severity[i] = sev;
      if (rule.notify_pending) this.emit(rule, stream, t, t, 'pending', sev, level, s, false);
    }
    st.activeSteps[i]++;
    if (sev > st.severity[i]) st.severity[i] = sev;
    if (st.activeSteps[i] >= rule.for && t - st.episodeStart[i] >= rule.for_ms) {
      st.state[i] = FIRING;
      st.calmSteps[i] = 0;
      st.unsent[i] = this.emit(rule, stream, t, st.episodeStart[i], 'firing', st.severity[i], level, s, true) ? 0 : 1;
    }
  }

  /** Builds and queues one event unless silenced or (for firing) over the storm limit. */
  private emit(
    rule: AlertRuleOptions, stream: string, t: number, start: number, state: AlertEvent['state'],
    sev: number, level: number, s: StepScore, limited: boolean,
  ): boolean {
    // A resolution is only ever sent for a firing that was delivered, silence or not, so that
    // consumers never keep an alert open forever.
    if (state !== 'resolved' && this.silences.isSilenced(stream, rule.name, this.clock ? this.clock.now() : t)) {
      this.stats.silenced++;
      return false;
    }
    if (limited && !this.storm.admit(stream)) {
      this.stats.stormSuppressed++;
      return false;
    }
    this.stats.events++;
    this.out.push({
      id: alertId(stream, rule.name, start), pipeline: this.pipeline, stream, rule: rule.name,
      detector: rule.detector, state, severity: severityName(sev), time: t, episodeStart: start,
      actual: s.actual, forecast: s.forecast, interval: { lower: s.lower, upper: s.upper },
      score: s.score, surprise: s.surprise, level, modelVersion: s.modelVersion,
      dashboardUrl: dashboardUrl(this.options.base_url, stream),
    });
    return true;
  }

  private pushSummary(summary: StormSummary, t: number): void {
    this.stats.events++;
    this.out.push({
      id: alertId('*', 'storm_control', summary.windowStart), pipeline: this.pipeline, stream: '*',
      rule: 'storm_control', detector: 'storm_control', state: 'firing', severity: 'warning', time: t,
      episodeStart: summary.windowStart, actual: NaN, forecast: NaN, interval: { lower: NaN, upper: NaN },
      score: NaN, surprise: NaN, level: summary.suppressed, modelVersion: '',
      dashboardUrl: `${this.options.base_url.replace(/\/+$/, '')}/#/alerts`, summary,
    });
  }
}

function severityName(sev: number): AlertSeverity {
  return sev >= 2 ? 'critical' : 'warning';
}

/** The value a rule compares with its thresholds; NaN when its detector has no value yet. */
export function levelOf(rule: AlertRuleOptions, s: StepScore): number {
  switch (rule.detector) {
    case 'score': return s.score;
    case 'surprise': return s.surprise;
    case 'likelihood': return s.likelihood;
    case 'dynamic_threshold': return s.dynamicLevel;
    case 'horizon': return s.bands > 0 ? s.horizonsOutside : NaN;
    case 'flatline': return s.flatSurprise;
    case 'cusum': return s.cusum;
  }
}

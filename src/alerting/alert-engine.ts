// Turns scored steps into alert events for one pipeline: per (stream, rule) lifecycle with `for`,
// hysteresis and cooldown, then silences and storm control on what would be sent. Runs in event
// time (the steps' own times); the silence clock is injectable for live use.
import { bytesFromBase64, toBase64 } from '../core/base64.js';
import type { Clock } from '../core/clock.js';
import { alertId, dashboardUrl, type AlertEvent, type AlertPart, type AlertSeverity, type StormSummary } from '../core/alert-event.js';
import { GroupRule, type GroupStep } from './alert-groups.js';
import { AlertRuleState, FIRING, INACTIVE, PENDING } from './alert-rule-state.js';
import type { ForecastInput } from './forecast-ring.js';
import { COMBINED_PARTS, partValue } from './combined-detector.js';
import { AlertingOptions, toStepScorerOptions, usesCombined, type AlertRuleOptions } from './rule-options.js';
import { Silences, type Silence } from './silences.js';
import { loadSlot, saveSlot, saveSlotInto, slotWidth, SlotIndex, type SlotColumns } from './slot-arrays.js';
import { StepScore, StepScorer } from './step-scorer.js';
import { StormControl } from './storm-control.js';
import { compileGlob, type StreamGlob } from './stream-glob.js';

/** Snapshot format: 2 added the CUSUM sums, 3 the anomaly likelihood and baseline deviation (12 doubles per stream); older snapshots are refused. */
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
  private readonly ruleStreams: readonly StreamGlob[];
  /** Per slot × rule: 1 if the rule applies to the stream, 2 if it does not, 0 not yet known. */
  private applies = new Uint8Array(0);
  private readonly state: AlertRuleState;
  private readonly silences = new Silences();
  private readonly storm: StormControl;
  private readonly current = new StepScore();
  private readonly out: AlertEvent[] = [];
  /** Every part's entries for a stream never seen: what a released slot is reset to. */
  private readonly blank: Float64Array;
  /** Rules with group_by (multi-signal alerts, alert-groups.ts), and per rule whether it is one. */
  private readonly groupRules: GroupRule[] = [];
  private readonly isGroupRule: Uint8Array;
  /** The group's lifecycle state a stream not in any group exports. */
  private readonly groupBlank: Float64Array;
  /** What a closed group bucket looks like to the lifecycle and the event (no actual or forecast). */
  private readonly groupScore = new StepScore();

  /**
   * options: the parsed or raw `alerting:` section; clock: "now" for silences (default: event time);
   * stepMs: the pipeline's grid step (the combined detector's default season is one day of steps).
   */
  constructor(
    readonly pipeline: string,
    options: unknown,
    private readonly clock?: Clock,
    stepMs?: number,
  ) {
    this.options = AlertingOptions.parse(options);
    this.scorer = new StepScorer(toStepScorerOptions(this.options.scorer, usesCombined(this.options.rules), stepMs));
    this.rules = this.options.rules;
    this.isGroupRule = Uint8Array.from(this.rules, (r) => (r.group_by === 'stream' ? 0 : 1));
    this.rules.forEach((r, i) => {
      if (r.group_by !== 'stream') this.groupRules.push(new GroupRule(i, r.group_by, this.options.groups, this.onGroupClose));
    });
    const groupBlank: number[] = [];
    saveSlot(new GroupRule(0, 'prefix', {}, () => {}).snapshotPart, 0, groupBlank);
    this.groupBlank = Float64Array.from(groupBlank);
    this.groupScore.scored = true;
    this.ruleStreams = this.rules.map((r) => compileGlob(r.streams));
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
      const R = this.rules.length;
      for (let r = 0; r < R; r++) {
        if (this.isGroupRule[r] === 0 && this.ruleApplies(slot, r))
          this.advance(this.state, slot * R + r, this.rules[r], stream, t, levelOf(this.rules[r], s), s, null);
      }
    } else this.stats.unscored++;
    for (const gr of this.groupRules) {
      const g = this.groupFor(gr, slot, stream);
      if (g >= 0) gr.report(g, slot, t, stepMs, s.scored ? levelOf(this.rules[gr.rule], s) : NaN);
    }
    if (forecast) this.scorer.record(slot, forecast);
    return this.out;
  }

  get lastScore(): StepScore {
    return this.current;
  }

  /** Sends the storm summary of the current window, if any (at shutdown or end of a replay). */
  flush(t: number): readonly AlertEvent[] {
    this.out.length = 0;
    // Event times some member never reported are closed with the members that did.
    for (const gr of this.groupRules) gr.closeAll();
    const summary = this.storm.flush();
    if (summary) this.pushSummary(summary, t);
    return this.out;
  }

  /**
   * One stream's scoring and lifecycle state, for the pipeline's checkpoint: restored, a firing
   * alert still resolves and the stream needs no new warm-up. null for an unknown stream.
   */
  exportStream(key: string): AlertStreamSnapshot | null {
    const s = this.exportStreamValues(key);
    return s === null
      ? null
      : { v: ALERT_SNAPSHOT_VERSION, layout: this.layout(), modelVersion: s.modelVersion, state: toBase64(s.values) };
  }

  /** exportStream's content without the JSON wrapping (binary checkpoints; layout() describes the values). */
  exportStreamValues(key: string): { readonly modelVersion: string; readonly values: Float64Array } | null {
    const slot = this.slots.find(key);
    if (slot < 0) return null;
    const values = new Float64Array(this.width());
    let off = 0;
    for (const p of this.parts()) off = saveSlotInto(p, slot, values, off);
    for (const gr of this.groupRules) {
      const g = this.groupFor(gr, slot, key);
      if (g >= 0) off = saveSlotInto(gr.snapshotPart, g, values, off);
      else {
        values.set(this.groupBlank, off);
        off += this.groupBlank.length;
      }
    }
    return { modelVersion: this.scorer.modelVersion(slot), values };
  }

  /** Restores a stream from exportStream; false (nothing changed) when rules or sizes differ. */
  importStream(key: string, snap: AlertStreamSnapshot): boolean {
    const bytes = bytesFromBase64(snap.state);
    if (snap.v !== ALERT_SNAPSHOT_VERSION || snap.layout !== this.layout() || bytes.byteLength !== 8 * this.width()) return false;
    return this.importStreamValues(key, snap.modelVersion, new Float64Array(bytes.buffer));
  }

  /** Makes room for `streams` streams at once (a restore of that many: one allocation, not log2 of them). */
  reserveStreams(streams: number): void {
    for (const p of this.parts()) p.reserve(streams);
  }

  /** Restores exportStreamValues' content (the caller checked the layout); false when the size differs. */
  importStreamValues(key: string, modelVersion: string, src: Float64Array): boolean {
    if (src.length !== this.width()) return false;
    const slot = this.slots.slotOf(key);
    let off = 0;
    for (const p of this.parts()) off = loadSlot(p, slot, src, off);
    // A group's state travels with each member; the first member restored sets it, unless the group
    // already stepped here (then it is newer than any snapshot).
    for (const gr of this.groupRules) {
      const g = this.groupFor(gr, slot, key);
      off = gr.restorable(g) ? loadSlot(gr.snapshotPart, g, src, off) : off + this.groupBlank.length;
    }
    this.scorer.setModelVersion(slot, modelVersion);
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
    for (const gr of this.groupRules) gr.forget(slot);
    const r = this.rules.length;
    if (this.applies.length > slot * r) this.applies.fill(0, slot * r, (slot + 1) * r);
    return true;
  }

  private parts(): SlotColumns[] {
    return [...this.scorer.parts(), this.state];
  }

  /** Entries of one stream's snapshot: fixed by the settings, so counted once (checkpoints ask per stream). */
  private width(): number {
    if (this.widthOnce < 0)
      this.widthOnce = this.parts().reduce((w, p) => w + slotWidth(p), 0) + this.groupRules.length * this.groupBlank.length;
    return this.widthOnce;
  }

  private widthOnce = -1;

  /** layout() for binary checkpoints, which keep it once per file instead of once per stream. */
  get snapshotLayout(): string {
    return this.layout();
  }

  /** What a snapshot's entries mean: rules in order and the widths; a config change invalidates it. */
  private layout(): string {
    return `${this.rules.map((r) => r.name).join(',')}|${this.parts().map(slotWidth).join(',')}`;
  }

  addSilence(input: unknown): Silence {
    return this.silences.addSilence(input);
  }
  removeSilence(id: string): boolean {
    return this.silences.removeSilence(id);
  }
  restoreSilence(saved: Silence): Silence {
    return this.silences.restoreSilence(saved);
  }
  listSilences(now?: number): Silence[] {
    return this.silences.listSilences(now);
  }

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

  /** The stream's group under a group rule (registering it as a member), or -1 when the rule does not cover it. */
  private groupFor(gr: GroupRule, slot: number, stream: string): number {
    return this.ruleApplies(slot, gr.rule) ? gr.groupOf(slot, stream) : -1;
  }

  /** A group's event time closed: its Fisher surprise runs the rule's lifecycle for the group. */
  private readonly onGroupClose = (gr: GroupRule, g: GroupStep): void => {
    if (!(g.scored > 0)) return;
    const s = this.groupScore;
    s.surprise = s.combined = g.surprise;
    s.score = -Math.expm1(-g.surprise * Math.LN10);
    this.advance(gr.state, g.group, this.rules[gr.rule], gr.groups.keyOf(g.group), g.t, g.surprise, s, g);
  };

  /** One scored step of a (stream or group, rule) lifecycle at index i of st. */
  private advance(
    st: AlertRuleState,
    i: number,
    rule: AlertRuleOptions,
    stream: string,
    t: number,
    level: number,
    s: StepScore,
    g: GroupStep | null,
  ): void {
    if (Number.isNaN(level)) return;
    const sev = rule.critical !== undefined && level >= rule.critical ? 2 : 1;
    const active = level >= rule.warning;
    if (st.state[i] === FIRING) {
      if (level < (rule.resolve_below ?? rule.warning)) {
        if (++st.calmSteps[i] >= rule.resolve_steps) {
          st.state[i] = INACTIVE;
          st.cooldownUntil[i] = t + rule.cooldown_ms;
          if (st.unsent[i] === 0) this.emit(rule, stream, t, st.episodeStart[i], 'resolved', st.severity[i], level, s, false, g);
        }
        return;
      }
      st.calmSteps[i] = 0;
      if (sev > st.severity[i]) {
        st.severity[i] = sev;
        st.unsent[i] = this.emit(rule, stream, t, st.episodeStart[i], 'firing', sev, level, s, true, g) ? 0 : 1;
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
      if (rule.notify_pending) this.emit(rule, stream, t, t, 'pending', sev, level, s, false, g);
    }
    st.activeSteps[i]++;
    if (sev > st.severity[i]) st.severity[i] = sev;
    if (st.activeSteps[i] >= rule.for && t - st.episodeStart[i] >= rule.for_ms) {
      st.state[i] = FIRING;
      st.calmSteps[i] = 0;
      st.unsent[i] = this.emit(rule, stream, t, st.episodeStart[i], 'firing', st.severity[i], level, s, true, g) ? 0 : 1;
    }
  }

  /** Builds and queues one event unless silenced or (for firing) over the storm limit. */
  private emit(
    rule: AlertRuleOptions,
    stream: string,
    t: number,
    start: number,
    state: AlertEvent['state'],
    sev: number,
    level: number,
    s: StepScore,
    limited: boolean,
    g: GroupStep | null,
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
      id: alertId(stream, rule.name, start),
      pipeline: this.pipeline,
      stream,
      rule: rule.name,
      detector: rule.detector,
      state,
      severity: severityName(sev),
      time: t,
      episodeStart: start,
      actual: s.actual,
      forecast: s.forecast,
      interval: { lower: s.lower, upper: s.upper },
      score: s.score,
      surprise: s.surprise,
      level,
      modelVersion: s.modelVersion,
      dashboardUrl: dashboardUrl(this.options.base_url, g && g.top > 0 ? this.slots.keyOf(g.members[0]) : stream),
      ...(g ? this.groupDetail(stream, g) : rule.detector === 'combined' ? combinedDetail(s) : {}),
    });
    return true;
  }

  /** A group event names its driving streams: members at surprise >= 2 (p <= 1%), at least the top one. */
  private groupDetail(key: string, g: GroupStep): Pick<AlertEvent, 'driver' | 'parts' | 'group'> {
    const parts: AlertPart[] = [];
    for (let j = 0; j < g.top; j++) {
      if (j > 0 && g.surprises[j] < DRIVER_SURPRISE) break;
      parts.push({ name: this.slots.keyOf(g.members[j]), surprise: g.surprises[j] });
    }
    return { driver: parts[0]?.name ?? '', parts, group: { key, scored: g.scored, reported: g.reported } };
  }

  private pushSummary(summary: StormSummary, t: number): void {
    this.stats.events++;
    this.out.push({
      id: alertId('*', 'storm_control', summary.windowStart),
      pipeline: this.pipeline,
      stream: '*',
      rule: 'storm_control',
      detector: 'storm_control',
      state: 'firing',
      severity: 'warning',
      time: t,
      episodeStart: summary.windowStart,
      actual: NaN,
      forecast: NaN,
      interval: { lower: NaN, upper: NaN },
      score: NaN,
      surprise: NaN,
      level: summary.suppressed,
      modelVersion: '',
      dashboardUrl: `${this.options.base_url.replace(/\/+$/, '')}/#/alerts`,
      summary,
    });
  }
}

/** A member at this surprise or more (p <= 1%) is named as driving its group's alert. */
const DRIVER_SURPRISE = 2;

/** A combined event names every part that had a value and the one that drove it. */
function combinedDetail(s: StepScore): Pick<AlertEvent, 'driver' | 'parts'> {
  const parts: AlertPart[] = [];
  for (let p = 0; p < COMBINED_PARTS.length; p++) {
    const v = partValue(s, p);
    if (v === v) parts.push({ name: COMBINED_PARTS[p], surprise: v });
  }
  return { driver: s.driver, parts };
}

function severityName(sev: number): AlertSeverity {
  return sev >= 2 ? 'critical' : 'warning';
}

/** The value a rule compares with its thresholds; NaN when its detector has no value yet. */
export function levelOf(rule: AlertRuleOptions, s: StepScore): number {
  switch (rule.detector) {
    case 'score':
      return s.score;
    case 'surprise':
      return s.surprise;
    case 'likelihood':
      return s.likelihood;
    case 'baseline':
      return s.baseline;
    case 'dynamic_threshold':
      return s.dynamicLevel;
    case 'horizon':
      return s.bands > 0 ? s.horizonsOutside : NaN;
    case 'flatline':
      return s.flatSurprise;
    case 'cusum':
      return s.cusum;
    case 'combined':
      return s.combined;
    case 'variance':
      return s.varianceSurprise;
  }
}

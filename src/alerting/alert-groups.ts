// Multi-signal alerts: one score per asset (a group of streams) and event time. Every member's step
// reports its surprise (-log10 p, NaN when unscored) into the group's bucket for that time; once
// every known member has reported (or a later time needs the bucket, or a later time completed),
// the bucket closes with Fisher's combination of the scored members' surprises, exact for any number
// of independent members, and its top contributors. One GroupRule per rule with `group_by`;
// typed arrays per group and bucket, grown by doubling: no allocation per step.
import { AlertRuleState } from './alert-rule-state.js';
import { grown, SlotIndex, type SlotColumns } from './slot-arrays.js';
import { compileGlob, type StreamGlob } from './stream-glob.js';
import { fisherSurprise } from './surprise-tests.js';

/** Open event times per group: a member may run this many steps ahead of another. */
const BUCKETS = 8;
/** Contributors kept per bucket (the event names at most these). */
export const TOP_MEMBERS = 5;
/** Stream slot not yet classified (the group of a stream is computed once). */
const UNKNOWN = -2;
const NONE = -1;

/** A closed bucket: what the group's lifecycle step sees. Reused; copy what you keep. */
export class GroupStep {
  group = -1;
  t = NaN;
  surprise = NaN;
  /** Members that had a score at t, of `reported`. */
  scored = 0;
  reported = 0;
  /** Top contributors, largest surprise first: stream slots and their surprises (`top` of them). */
  readonly members = new Int32Array(TOP_MEMBERS);
  readonly surprises = new Float64Array(TOP_MEMBERS);
  top = 0;
}

export type GroupBy = 'prefix' | 'groups';

export class GroupRule {
  readonly groups = new SlotIndex();
  /** Lifecycle of the rule per group (one rule wide). */
  readonly state = new AlertRuleState(1);
  /** Per group: latest closed event time (later reports for it or before are late), and known members. */
  private lastClosed = new Float64Array(0);
  private memberCount = new Int32Array(0);
  /** Whether the group has stepped live in this engine (then a restored member does not overwrite it). */
  private live = new Uint8Array(0);
  /** Per stream slot: its group, NONE, or UNKNOWN. */
  private groupOfSlot = new Int32Array(0);
  private time = new Float64Array(0);
  private sum = new Float64Array(0);
  private scored = new Int32Array(0);
  private reported = new Int32Array(0);
  private topSlot = new Int32Array(0);
  private topVal = new Float64Array(0);
  private readonly step = new GroupStep();
  private readonly named: ReadonlyArray<readonly [string, StreamGlob[]]>;
  /** Reports that came after their time had closed (dropped). */
  late = 0;

  /** onClose: called for every closed bucket, in time order per group (the step is reused). */
  constructor(
    readonly rule: number,
    readonly by: GroupBy,
    named: Readonly<Record<string, readonly string[]>>,
    private readonly onClose: (rule: GroupRule, step: GroupStep) => void,
  ) {
    this.named = Object.entries(named).map(([k, globs]) => [k, globs.map((g) => compileGlob(g))] as const);
  }

  /** The group key of a stream key: its prefix up to the last '/', or its configured group; '' for none. */
  keyOf(stream: string): string {
    if (this.by === 'prefix') {
      const cut = stream.lastIndexOf('/');
      return cut > 0 ? stream.slice(0, cut) : '';
    }
    for (const [name, res] of this.named) if (res.some((re) => re.test(stream))) return name;
    return '';
  }

  /** The group of a stream slot, registering the stream as a member on first sight; -1 for none. */
  groupOf(slot: number, stream: string): number {
    if (this.groupOfSlot.length <= slot) this.groupOfSlot = grown(this.groupOfSlot, slot + 1, UNKNOWN);
    let g = this.groupOfSlot[slot];
    if (g !== UNKNOWN) return g;
    const key = this.keyOf(stream);
    g = key === '' ? NONE : this.groups.slotOf(key);
    this.groupOfSlot[slot] = g;
    if (g >= 0) {
      this.reserve(g + 1);
      this.memberCount[g]++;
    }
    return g;
  }

  /** A stream left (its slot is reused): no longer a member. */
  forget(slot: number): void {
    if (slot >= this.groupOfSlot.length) return;
    const g = this.groupOfSlot[slot];
    if (g >= 0) this.memberCount[g]--;
    this.groupOfSlot[slot] = UNKNOWN;
  }

  /** One member's step at t: surprise (NaN if unscored). Closes (onClose) what can be closed. */
  report(g: number, slot: number, t: number, stepMs: number, surprise: number): void {
    this.live[g] = 1;
    if (t <= this.lastClosed[g]) {
      this.late++;
      return;
    }
    const k = Math.round(t / stepMs) % BUCKETS;
    const b = g * BUCKETS + (k < 0 ? k + BUCKETS : k);
    if (this.time[b] !== t) {
      if (this.time[b] > t) {
        this.late++;
        return;
      }
      // The position is held by an older time that some member never reported: close it (and older) first.
      if (this.time[b] === this.time[b]) this.closeThrough(g, this.time[b]);
      this.clear(b);
      this.time[b] = t;
    }
    this.reported[b]++;
    if (surprise === surprise) {
      this.scored[b]++;
      this.sum[b] += surprise;
      this.insertTop(b, slot, surprise);
    }
    if (this.reported[b] >= this.memberCount[g]) this.closeThrough(g, t);
  }

  /** Closes every open bucket (end of a replay, shutdown). */
  closeAll(): void {
    for (let g = 0; g < this.groups.size; g++) this.closeThrough(g, Infinity);
  }

  /** Reads bucket b into out, then frees it. */
  private read(b: number, out: GroupStep): GroupStep {
    out.group = (b / BUCKETS) | 0;
    out.t = this.time[b];
    out.scored = this.scored[b];
    out.reported = this.reported[b];
    out.surprise = this.scored[b] > 0 ? fisherSurprise(this.sum[b], this.scored[b]) : NaN;
    out.top = Math.min(TOP_MEMBERS, this.scored[b]);
    for (let j = 0; j < out.top; j++) {
      out.members[j] = this.topSlot[b * TOP_MEMBERS + j];
      out.surprises[j] = this.topVal[b * TOP_MEMBERS + j];
    }
    this.clear(b);
    return out;
  }

  /** Closes every open bucket of g with time <= t, oldest first. */
  private closeThrough(g: number, t: number): void {
    for (;;) {
      let oldest = -1;
      for (let j = 0; j < BUCKETS; j++) {
        const b = g * BUCKETS + j;
        const bt = this.time[b];
        if (bt === bt && bt <= t && (oldest < 0 || bt < this.time[oldest])) oldest = b;
      }
      if (oldest < 0) break;
      this.lastClosed[g] = this.time[oldest];
      this.onClose(this, this.read(oldest, this.step));
    }
  }

  private insertTop(b: number, slot: number, v: number): void {
    const base = b * TOP_MEMBERS;
    const n = Math.min(TOP_MEMBERS, this.scored[b] - 1);
    let j = n < TOP_MEMBERS ? n : TOP_MEMBERS - 1;
    if (n === TOP_MEMBERS && !(v > this.topVal[base + j])) return;
    while (j > 0 && this.topVal[base + j - 1] < v) {
      this.topVal[base + j] = this.topVal[base + j - 1];
      this.topSlot[base + j] = this.topSlot[base + j - 1];
      j--;
    }
    this.topVal[base + j] = v;
    this.topSlot[base + j] = slot;
  }

  private clear(b: number): void {
    this.time[b] = NaN;
    this.sum[b] = 0;
    this.scored[b] = 0;
    this.reported[b] = 0;
  }

  reserve(groups: number): void {
    if (this.memberCount.length >= groups) return;
    this.memberCount = grown(this.memberCount, groups);
    const n = this.memberCount.length;
    this.lastClosed = grown(this.lastClosed, n, -Infinity);
    this.live = grown(this.live, n);
    this.time = grown(this.time, n * BUCKETS, NaN);
    this.sum = grown(this.sum, n * BUCKETS);
    this.scored = grown(this.scored, n * BUCKETS);
    this.reported = grown(this.reported, n * BUCKETS);
    this.topSlot = grown(this.topSlot, n * BUCKETS * TOP_MEMBERS);
    this.topVal = grown(this.topVal, n * BUCKETS * TOP_MEMBERS);
    this.state.reserve(n);
  }

  /** What a member's stream snapshot carries of its group: the lifecycle and the last closed time. */
  readonly snapshotPart: SlotColumns = {
    reserve: (n: number) => this.reserve(n),
    columns: () => [...this.state.columns(), [this.lastClosed, 1]] as const,
  };

  /** Whether a restored member may set its group's state: only while the group has not stepped here. */
  restorable(g: number): boolean {
    return g >= 0 && this.live[g] === 0;
  }
}

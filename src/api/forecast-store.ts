import type { AlertEvent, AlertSeverity } from '../core/alert-event.js';
import type { Forecast, StreamKey } from '../core/types.js';
import { FiringTally } from './firing-tally.js';
import { StreamHistory } from './stream-history.js';
import type { PipelineInfo, PipelineSummary, ModelVersionRecord } from './pipeline-info.js';

// What the API and dashboard read: per stream, bounded rings of recent actuals, one-step-ahead
// forecasts (mean and interval, aligned with the actual they predict) and alert markers, plus the
// latest full-horizon forecast and the alert rules active now. The runtime writes into it; readers
// get JSON-ready copies. Writing allocates nothing per step unless someone is subscribed (SSE).
// The rings and latest forecasts live in per-pipeline typed-array slots (stream-history.ts: float32
// values, a configurable number of points, 0 for none); alert state only for streams with alerts.

export interface ForecastStoreOptions {
  /** Recent actuals and forecasts kept per stream (unless setHistoryPoints says otherwise). Default 720. */
  readonly capacity?: number;
  /** Alert markers kept per stream. Default 50. */
  readonly alertsPerStream?: number;
  /** Alert events kept overall for GET /api/alerts. Default 500. */
  readonly alertHistory?: number;
  /** Points in each stream's sparkline. Default 60. */
  readonly sparklinePoints?: number;
  /** Newest stream additions remembered for addedSince. Default ADDED_LOG_CAPACITY. */
  readonly addedLogCapacity?: number;
}

export interface LatestForecast {
  /** Time of the last observed step the forecast was made from; horizon h targets t + h·stepMs. */
  readonly t: number;
  readonly stepMs: number;
  readonly modelVersion: string;
  readonly mean: number[];
  readonly lower: number[];
  readonly upper: number[];
}

export type StreamAlertLevel = 'ok' | 'pending' | 'firing';

export interface StreamSummary {
  readonly key: StreamKey;
  readonly pipeline: string;
  readonly stepMs: number;
  readonly lastActual: { readonly t: number; readonly value: number } | null;
  readonly latestForecast: LatestForecast | null;
  /** The worst state among the stream's active alert rules, and their events. */
  readonly alert: { readonly level: StreamAlertLevel; readonly severity: AlertSeverity | null; readonly active: readonly AlertEvent[] };
  /** The newest actuals, oldest first, for a sparkline. */
  readonly sparkline: readonly number[];
}

export interface StreamDetail extends StreamSummary {
  readonly actuals: { readonly t: number[]; readonly value: number[]; readonly imputed: boolean[] };
  /** One-step-ahead forecasts by target time, so they line up with the actuals they predicted. */
  readonly forecasts: { readonly t: number[]; readonly mean: number[]; readonly lower: number[]; readonly upper: number[] };
  /** Recent alert events of this stream (markers), oldest first. */
  readonly alerts: readonly AlertEvent[];
}

export type StoreEvent =
  | {
      readonly type: 'actual';
      readonly pipeline: string;
      readonly stream: StreamKey;
      readonly t: number;
      readonly value: number;
      readonly imputed: boolean;
    }
  | { readonly type: 'forecast'; readonly pipeline: string; readonly stream: StreamKey; readonly forecast: LatestForecast }
  | { readonly type: 'alert'; readonly alert: AlertEvent }
  | { readonly type: 'pipeline'; readonly pipeline: PipelineSummary };

export type StoreListener = (event: StoreEvent) => void;

class StreamBuffers {
  /** Alert markers and rule -> latest pending/firing event; created with the stream's first alert. */
  markers: AlertEvent[] | undefined;
  active: Map<string, AlertEvent> | undefined;
  stepMs = 0;

  constructor(
    readonly key: StreamKey,
    readonly pipeline: string,
    readonly history: StreamHistory,
    readonly slot: number,
  ) {}
}

/** One pipeline's history slots and the slots its removed streams gave back. */
interface PipelineHistory {
  readonly history: StreamHistory;
  readonly free: number[];
  next: number;
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { warning: 1, critical: 2 };

/**
 * Newest additions the store remembers for addedSince: a reader further behind re-reads the whole key
 * set, which it would do anyway (StreamsIndex rebuilds past 20,000 new streams).
 */
export const ADDED_LOG_CAPACITY = 65_536;

export class ForecastStore {
  private readonly capacity: number;
  private readonly alertsPerStream: number;
  private readonly alertHistory: number;
  private readonly sparklinePoints: number;
  private readonly streamsByKey = new Map<StreamKey, StreamBuffers>();
  private readonly histories = new Map<string, PipelineHistory>();
  private readonly historyPoints = new Map<string, number>();
  private readonly pipelinesByName = new Map<
    string,
    { info: PipelineInfo; versions: ModelVersionRecord[]; status: PipelineSummary['status'] }
  >();
  private readonly recentAlerts: AlertEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private readonly firing = new FiringTally();
  private streamsAdded = 0;
  private streamsRemoved = 0;
  /** Ring of the newest additions: addition number i is at i % capacity (see addedSince). */
  private readonly addedKeys: StreamKey[] = [];
  private readonly addedPipelines: string[] = [];
  private readonly addedLogCapacity: number;

  constructor(options: ForecastStoreOptions = {}) {
    this.capacity = options.capacity ?? 720;
    this.alertsPerStream = options.alertsPerStream ?? 50;
    this.alertHistory = options.alertHistory ?? 500;
    this.sparklinePoints = options.sparklinePoints ?? 60;
    this.addedLogCapacity = Math.max(1, options.addedLogCapacity ?? ADDED_LOG_CAPACITY);
  }

  // ---- writes (runtime) ----

  /** Declares a pipeline (again, to update it); its model version starts the version history. */
  upsertPipeline(info: PipelineInfo, status: PipelineSummary['status'] = 'running'): void {
    const prev = this.pipelinesByName.get(info.name);
    const versions = prev?.versions ?? [];
    if (versions.length === 0 || versions[versions.length - 1].version !== info.modelVersion) {
      versions.push({ version: info.modelVersion, since: info.startedAt ?? Date.now(), reason: 'initial' });
    }
    this.pipelinesByName.set(info.name, { info, versions, status });
    this.emitPipeline(info.name);
  }

  setPipelineStatus(name: string, status: PipelineSummary['status']): void {
    const p = this.pipelinesByName.get(name);
    if (p === undefined) return;
    p.status = status;
    this.emitPipeline(name);
  }

  /** A model swap: the new version becomes current; the last 20 versions are kept. */
  setModelVersion(pipeline: string, record: ModelVersionRecord): void {
    const p = this.pipelinesByName.get(pipeline);
    if (p === undefined) return;
    p.info = { ...p.info, modelVersion: record.version };
    p.versions.push(record);
    if (p.versions.length > 20) p.versions.splice(0, p.versions.length - 20);
    this.emitPipeline(pipeline);
  }

  /**
   * Points of history kept per stream of `pipeline` (0: none, the last actual and latest forecast
   * only); call before its first stream arrives (later calls do not resize).
   */
  setHistoryPoints(pipeline: string, points: number): void {
    this.historyPoints.set(pipeline, points);
  }

  /** One observed (or imputed) grid step of a stream. */
  recordActual(pipeline: string, key: StreamKey, t: number, value: number, imputed = false): void {
    const s = this.buffers(pipeline, key);
    s.history.pushActual(s.slot, t, value, imputed);
    if (this.listeners.size > 0) this.emit({ type: 'actual', pipeline, stream: key, t, value, imputed });
  }

  /** A forecast made at f.t: becomes the latest, and its horizon-1 point joins the history at f.t + stepMs. */
  recordForecast(f: Forecast): void {
    const s = this.buffers(f.pipeline, f.key);
    const h = f.mean.length;
    if (h === 0) return;
    s.stepMs = f.stepMs;
    s.history.setLatest(s.slot, f.t, f.modelVersion, f.mean, f.lower, f.upper);
    s.history.pushForecast(s.slot, f.t + f.stepMs, f.mean[0], f.lower[0], f.upper[0]);
    if (this.listeners.size > 0)
      this.emit({ type: 'forecast', pipeline: f.pipeline, stream: f.key, forecast: latestOf(s) as LatestForecast });
  }

  /** An alert event: a marker on its stream, the stream's active-rule state, and the global history. */
  recordAlert(event: AlertEvent): void {
    this.recentAlerts.push(event);
    if (this.recentAlerts.length > this.alertHistory) this.recentAlerts.splice(0, this.recentAlerts.length - this.alertHistory);
    const s =
      this.streamsByKey.get(event.stream) ?? (event.detector === 'storm_control' ? undefined : this.buffers(event.pipeline, event.stream));
    if (s !== undefined) {
      const markers = (s.markers ??= []);
      markers.push(event);
      if (markers.length > this.alertsPerStream) markers.splice(0, markers.length - this.alertsPerStream);
      this.firing.apply(s.pipeline, s.active, -1);
      if (event.state === 'resolved') s.active?.delete(event.rule);
      else (s.active ??= new Map()).set(event.rule, event);
      this.firing.apply(s.pipeline, s.active, 1);
    }
    if (this.listeners.size > 0) this.emit({ type: 'alert', alert: event });
  }

  /** Forgets a stream (e.g. evicted as idle). */
  removeStream(key: StreamKey): boolean {
    const s = this.streamsByKey.get(key);
    if (s === undefined) return false;
    this.streamsByKey.delete(key);
    this.firing.apply(s.pipeline, s.active, -1);
    this.histories.get(s.pipeline)?.free.push(s.slot);
    this.streamsRemoved++;
    return true;
  }

  // ---- reads (API) ----

  streamKeys(): StreamKey[] {
    return [...this.streamsByKey.keys()];
  }

  /** Streams ever added and removed: readers that index the key set (streams-page.ts) refresh on a change. */
  get streamChanges(): { readonly added: number; readonly removed: number } {
    return { added: this.streamsAdded, removed: this.streamsRemoved };
  }

  /**
   * The streams added since the store's `since`-th addition (streamChanges.added as a reader last
   * saw it), oldest first, each with the pipeline it was added to: the cost is what changed, not the
   * key set. A stream removed since is still listed (the reader checks), and one removed and added
   * again is listed twice. false (nothing called) when the log no longer reaches back that far.
   */
  addedSince(since: number, f: (key: StreamKey, pipeline: string) => void): boolean {
    const cap = this.addedLogCapacity;
    if (since < this.streamsAdded - cap || since > this.streamsAdded) return false;
    for (let i = since; i < this.streamsAdded; i++) f(this.addedKeys[i % cap], this.addedPipelines[i % cap]);
    return true;
  }

  /** Every stream's key and pipeline in insertion order (oldest first), from the `skip`-th on. */
  forEachStream(f: (key: StreamKey, pipeline: string) => void, skip = 0): void {
    let i = 0;
    for (const s of this.streamsByKey.values()) if (i++ >= skip) f(s.key, s.pipeline);
  }

  /** The pipeline a stream is held under now, or undefined for a stream the store does not hold. */
  pipelineOf(key: StreamKey): string | undefined {
    return this.streamsByKey.get(key)?.pipeline;
  }

  /** One stream's entry as `streams()` lists it, or undefined if unknown. */
  summary(key: StreamKey): StreamSummary | undefined {
    const s = this.streamsByKey.get(key);
    return s === undefined ? undefined : this.summaryOf(s);
  }

  streams(pipeline?: string): StreamSummary[] {
    const out: StreamSummary[] = [];
    for (const s of this.streamsByKey.values()) if (pipeline === undefined || s.pipeline === pipeline) out.push(this.summaryOf(s));
    out.sort((a, b) => (a.pipeline === b.pipeline ? a.key.localeCompare(b.key) : a.pipeline.localeCompare(b.pipeline)));
    return out;
  }

  /** Recent history of one stream (the newest `limit` points), or undefined if unknown. */
  stream(key: StreamKey, limit?: number): StreamDetail | undefined {
    const s = this.streamsByKey.get(key);
    if (s === undefined) return undefined;
    const n = limit === undefined ? Infinity : Math.max(0, Math.floor(limit));
    return {
      ...this.summaryOf(s),
      actuals: s.history.actuals(s.slot, n),
      forecasts: s.history.forecasts(s.slot, n),
      alerts: [...(s.markers ?? [])],
    };
  }

  /** Alerts active now (pending or firing, every stream) and the recent history, newest first. */
  alerts(limit = 100): { active: AlertEvent[]; recent: AlertEvent[] } {
    const active: AlertEvent[] = [];
    for (const s of this.streamsByKey.values()) if (s.active !== undefined) for (const a of s.active.values()) active.push(a);
    active.sort((a, b) => b.time - a.time);
    const recent = this.recentAlerts.slice(Math.max(0, this.recentAlerts.length - limit)).reverse();
    return { active, recent };
  }

  pipelines(): PipelineSummary[] {
    const out: PipelineSummary[] = [];
    for (const name of [...this.pipelinesByName.keys()].sort()) out.push(this.pipelineSummary(name) as PipelineSummary);
    return out;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  // ---- internals ----

  private buffers(pipeline: string, key: StreamKey): StreamBuffers {
    let s = this.streamsByKey.get(key);
    if (s === undefined) {
      let h = this.histories.get(pipeline);
      if (h === undefined) {
        h = { history: new StreamHistory(this.historyPoints.get(pipeline) ?? this.capacity), free: [], next: 0 };
        this.histories.set(pipeline, h);
      }
      const slot = h.free.length > 0 ? (h.free.pop() as number) : h.next++;
      h.history.reset(slot);
      s = new StreamBuffers(key, pipeline, h.history, slot);
      this.streamsByKey.set(key, s);
      const at = this.streamsAdded++ % this.addedLogCapacity;
      this.addedKeys[at] = key;
      this.addedPipelines[at] = pipeline;
    }
    return s;
  }

  private summaryOf(s: StreamBuffers): StreamSummary {
    let level: StreamAlertLevel = 'ok';
    let severity: AlertSeverity | null = null;
    for (const a of s.active?.values() ?? []) {
      if (a.state === 'firing') level = 'firing';
      else if (level === 'ok') level = 'pending';
      if (severity === null || SEVERITY_RANK[a.severity] > SEVERITY_RANK[severity]) severity = a.severity;
    }
    return {
      key: s.key,
      pipeline: s.pipeline,
      stepMs: s.stepMs,
      lastActual: s.history.lastActual(s.slot),
      latestForecast: latestOf(s),
      alert: { level, severity, active: [...(s.active?.values() ?? [])] },
      sparkline: s.history.values(s.slot, this.sparklinePoints),
    };
  }

  private pipelineSummary(name: string): PipelineSummary | undefined {
    const p = this.pipelinesByName.get(name);
    if (p === undefined) return undefined;
    // Every stream holds one history slot of its pipeline: the live ones are those handed out and not
    // given back (no walk over every stream: /api/pipelines is polled by each open dashboard).
    const h = this.histories.get(name);
    const streams = h === undefined ? 0 : h.next - h.free.length;
    return { ...p.info, status: p.status, streams, modelVersions: [...p.versions], alerts_firing: this.firing.of(name) };
  }

  private emitPipeline(name: string): void {
    if (this.listeners.size === 0) return;
    const summary = this.pipelineSummary(name);
    if (summary !== undefined) this.emit({ type: 'pipeline', pipeline: summary });
  }

  private emit(event: StoreEvent): void {
    for (const l of this.listeners) {
      // A failing subscriber (a closed SSE socket) must not stop the runtime writing.
      try {
        l(event);
      } catch {
        this.listeners.delete(l);
      }
    }
  }
}

function latestOf(s: StreamBuffers): LatestForecast | null {
  const l = s.history.latestOf(s.slot);
  return l === null ? null : { t: l.t, stepMs: s.stepMs, modelVersion: l.modelVersion, mean: l.mean, lower: l.lower, upper: l.upper };
}

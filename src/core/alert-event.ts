// The alert event every sink consumes (webhook, log, Kafka, InfluxDB, API): flat and JSON-ready.

export type AlertState = 'pending' | 'firing' | 'resolved';
export type AlertSeverity = 'warning' | 'critical';
export type AlertDetector =
  | 'score'
  | 'surprise'
  | 'likelihood'
  | 'baseline'
  | 'dynamic_threshold'
  | 'horizon'
  | 'flatline'
  | 'cusum'
  | 'combined'
  | 'variance';

export interface AlertEvent {
  /** Stream + rule + episode start: stable over an episode's pending, firing and resolved events. */
  readonly id: string;
  readonly pipeline: string;
  readonly stream: string;
  readonly rule: string;
  readonly detector: AlertDetector | 'storm_control';
  readonly state: AlertState;
  readonly severity: AlertSeverity;
  /** Event time of the step that caused this event (epoch ms). */
  readonly time: number;
  /** Event time of the episode's first anomalous step. */
  readonly episodeStart: number;
  readonly actual: number;
  /** One-step-ahead forecast mean for `time`, and its interval. */
  readonly forecast: number;
  readonly interval: { readonly lower: number; readonly upper: number };
  /** 1 - two-sided tail probability of the residual (see normal-tail.ts). */
  readonly score: number;
  /** -log10 of the two-sided tail probability. */
  readonly surprise: number;
  /** The value the rule compared with its thresholds (depends on the detector). */
  readonly level: number;
  readonly modelVersion: string;
  readonly dashboardUrl: string;
  /**
   * What drove the alert: the combined detector's part with the largest surprise (spike, level,
   * variance, seasonal, stuck), or, for a group rule, the member stream with the largest surprise.
   */
  readonly driver?: string;
  /** combined: each part's surprise; group rules: the driving member streams' surprises, largest first. */
  readonly parts?: readonly AlertPart[];
  /** Group rules (group_by): the asset's key (also `stream`) and its members that had a score at `time`, of those that reported. */
  readonly group?: { readonly key: string; readonly scored: number; readonly reported: number };
  /** Storm control only: how many alerts were held back in the window and from which streams. */
  readonly summary?: StormSummary;
  /** model.classify: probabilities of the deviation's kind over the stream's recent window (stream-classification.ts). */
  readonly deviationKinds?: { readonly spike: number; readonly level_shift: number; readonly variance: number; readonly stuck: number };
}

/** One detector part or member stream and its surprise (-log10 p) at the event's step. */
export interface AlertPart {
  readonly name: string;
  readonly surprise: number;
}

export interface StormSummary {
  readonly suppressed: number;
  /** Up to 20 stream keys, for a first look. */
  readonly streams: readonly string[];
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** Somewhere alert events go. write resolves when the batch is delivered (or rejects). */
export interface AlertSink {
  readonly kind: string;
  write(batch: readonly AlertEvent[], signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function alertId(stream: string, rule: string, episodeStart: number): string {
  return `${stream}|${rule}|${episodeStart}`;
}

export function dashboardUrl(baseUrl: string, stream: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/#/streams/${encodeURIComponent(stream)}`;
}

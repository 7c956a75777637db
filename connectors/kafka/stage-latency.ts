// Where an event waits on the Kafka path, stage by stage: the producer's timestamp -> handed out by the
// source (fetch and batching) -> picked up by the pipeline (its queue) -> stepped by the engine -> its
// outputs durable (sink buffers and acks) -> its streams' states durable in the changelog -> the offset
// committed. Each stage is timed per batch; the daemon exports them as tidecast_kafka_stage_seconds.

export const KAFKA_STAGES = ['source', 'queue', 'engine', 'sink', 'changelog', 'commit'] as const;
export type KafkaStage = (typeof KAFKA_STAGES)[number];

/** Receives one stage duration in milliseconds. */
export interface StageObserver {
  observe(stage: KafkaStage, ms: number): void;
}

export const noStages: StageObserver = { observe: () => {} };

/** Something with prom-client's Histogram shape, labelled by stage (and whatever is bound already). */
export interface StageHistogram {
  labels(...values: string[]): { observe(seconds: number): void };
}

/** Stage durations into a histogram in seconds, its label children resolved once. */
export function stageHistogram(h: StageHistogram, pipeline: string): StageObserver {
  const children = Object.fromEntries(KAFKA_STAGES.map((s) => [s, h.labels(pipeline, s)])) as Record<
    KafkaStage,
    { observe(s: number): void }
  >;
  return { observe: (stage, ms) => children[stage].observe(Math.max(0, ms) / 1_000) };
}

/**
 * Keeps every duration (growing typed arrays) to report exact percentiles: the benchmark's recorder.
 * `reset()` forgets them, e.g. after a warm-up.
 */
export class StageRecorder implements StageObserver {
  private readonly values = new Map<KafkaStage, { data: Float64Array; n: number }>();

  observe(stage: KafkaStage, ms: number): void {
    let v = this.values.get(stage);
    if (v === undefined) this.values.set(stage, (v = { data: new Float64Array(1_024), n: 0 }));
    if (v.n === v.data.length) {
      const next = new Float64Array(v.data.length * 2);
      next.set(v.data);
      v.data = next;
    }
    v.data[v.n++] = ms;
  }

  reset(): void {
    this.values.clear();
  }

  /** p50, p99 and max per stage in ms (rounded to 0.1), and how many batches were timed. */
  summary(): Partial<Record<KafkaStage, { n: number; p50: number; p99: number; max: number }>> {
    const out: Partial<Record<KafkaStage, { n: number; p50: number; p99: number; max: number }>> = {};
    for (const stage of KAFKA_STAGES) {
      const v = this.values.get(stage);
      if (v === undefined || v.n === 0) continue;
      const s = v.data.slice(0, v.n).sort();
      const at = (q: number) => Math.round(10 * s[Math.floor(q * (v.n - 1))]) / 10;
      out[stage] = { n: v.n, p50: at(0.5), p99: at(0.99), max: at(1) };
    }
    return out;
  }
}

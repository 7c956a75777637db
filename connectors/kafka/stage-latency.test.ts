import { describe, expect, it } from 'vitest';
import { createMetrics, renderMetrics } from '../../src/telemetry/metrics.js';
import { StageRecorder, stageHistogram } from './stage-latency.js';

describe('Kafka stage latency', () => {
  it('exports each stage as tidecast_kafka_stage_seconds in /metrics, in seconds', async () => {
    const m = createMetrics();
    const stages = stageHistogram(m.kafkaStage, 'weather');
    stages.observe('sink', 12);
    stages.observe('sink', 3);
    stages.observe('changelog', 200);
    const { body } = await renderMetrics(m);
    expect(body).toContain('tidecast_kafka_stage_seconds_count{pipeline="weather",stage="sink"} 2');
    expect(body).toContain('tidecast_kafka_stage_seconds_sum{pipeline="weather",stage="sink"} 0.015');
    expect(body).toContain('tidecast_kafka_stage_seconds_bucket{le="0.005",pipeline="weather",stage="sink"} 1');
    expect(body).toContain('tidecast_kafka_stage_seconds_bucket{le="0.25",pipeline="weather",stage="changelog"} 1');
  });

  it('the recorder reports exact percentiles per stage and forgets on reset', () => {
    const r = new StageRecorder();
    for (let i = 1; i <= 2_000; i++) r.observe('source', i / 10);
    r.observe('engine', 5);
    expect(r.summary()).toEqual({ source: { n: 2_000, p50: 100, p99: 198, max: 200 }, engine: { n: 1, p50: 5, p99: 5, max: 5 } });
    r.reset();
    expect(r.summary()).toEqual({});
  });
});

import { describe, expect, it } from 'vitest';
import { componentMetrics, createMetrics, renderMetrics } from './metrics.js';

async function value(m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = await m.registry.getSingleMetric(name)!.get();
  const hit = metric.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return hit?.value;
}

describe('metrics', () => {
  it('gives each call its own registry, so two instances never collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.forecasts.inc({ pipeline: 'w' }, 2);
    expect(await value(a, 'tidecast_forecasts_total', { pipeline: 'w' })).toBe(2);
    expect(await value(b, 'tidecast_forecasts_total', { pipeline: 'w' })).toBeUndefined();
  });

  it('maps ComponentMetrics onto the prom-client counters', async () => {
    const m = createMetrics();
    const c = componentMetrics(m, 'weather', 'impute');
    c.received(5);
    c.received(2);
    c.sent(6);
    c.error('non_finite', 'parse', 1);
    c.error('non_finite', 'parse', 2);
    c.error('late_record', 'order', 1);
    c.discarded('duplicate', 4);
    c.count('imputed_steps', 3);
    c.received(0);
    expect(await value(m, 'tidecast_received_events_total', { pipeline: 'weather', component: 'impute' })).toBe(7);
    expect(await value(m, 'tidecast_sent_events_total', { component: 'impute' })).toBe(6);
    expect(await value(m, 'tidecast_dead_letters_total', { code: 'non_finite', stage: 'parse' })).toBe(3);
    expect(await value(m, 'tidecast_dead_letters_total', { code: 'late_record' })).toBe(1);
    expect(await value(m, 'tidecast_discarded_events_total', { reason: 'duplicate' })).toBe(4);
    expect(await value(m, 'tidecast_component_events_total', { name: 'imputed_steps' })).toBe(3);
  });

  it('renders histograms with base-unit names and never a stream label', async () => {
    const m = createMetrics();
    m.lateness.observe({ pipeline: 'w' }, 30);
    m.stepDuration.observe({ pipeline: 'w' }, 0.0004);
    m.batchSize.observe({ pipeline: 'w', stage: 'model' }, 64);
    m.trainingRuns.inc({ pipeline: 'w', outcome: 'swapped' });
    m.trainingLoss.set({ pipeline: 'w', split: 'validation' }, 0.25);
    m.alertEvents.inc({ pipeline: 'w', severity: 'critical', state: 'firing' });
    const { body, contentType } = await renderMetrics(m);
    expect(contentType).toContain('text/plain');
    expect(body).toContain('tidecast_event_lateness_seconds_bucket{le="60",pipeline="w"} 1');
    expect(body).toContain('tidecast_event_lateness_seconds_bucket{le="15",pipeline="w"} 0');
    expect(body).toContain('tidecast_step_duration_seconds_bucket{le="0.0005",pipeline="w"} 1');
    expect(body).toContain('tidecast_batch_size_events_bucket{le="100",pipeline="w",stage="model"} 1');
    expect(body).toContain('tidecast_training_runs_total{pipeline="w",outcome="swapped"} 1');
    expect(body).toContain('tidecast_training_loss{pipeline="w",split="validation"} 0.25');
    expect(body).toContain('tidecast_alert_events_total{pipeline="w",severity="critical",state="firing"} 1');
    expect(body).not.toMatch(/stream="/);
    for (const line of body.split('\n').filter((l) => l.startsWith('# TYPE'))) {
      expect(line).toMatch(/^# TYPE tidecast_[a-z_]+ (counter|gauge|histogram)$/);
    }
  });

  it('adds process metrics only when asked', async () => {
    expect((await renderMetrics(createMetrics())).body).not.toContain('process_cpu');
    expect((await renderMetrics(createMetrics({ collectDefault: true }))).body).toContain('tidecast_process_cpu_seconds_total');
  });
});

import { describe, expect, it } from 'vitest';
import { formatIssue } from '../config/config-issue.js';
import { parsePipelineText } from '../config/load-pipeline.js';
import { retrainSettingsFrom } from './attach.js';

// training.online in the pipeline file → RetrainSettings: every option reaches the retrainer, the
// defaults are the ones the retrainer had before they were configurable, bad values point at their place.

const BASE = `name: t1
step_ms: 60000
sources:
  - kind: file
    path: data/x.csv
    key_column: stream
model:
  cell: gru
  units: 8
  horizon: 3
state:
  dir: var/state/t1
`;

const ONLINE = `training:
  offline:
    epochs: 5
  online:
    enabled: true
    every_ms: 60000
    every_steps: 300
    window_steps: 128
    drift_factor: 3.5
    drift_window_steps: 50
    promotion_margin: 0.1
    rewarm_steps: 16
    patience_epochs: 4
    max_epochs: 12
    max_time_ms: 9000
    warm_start: false
    tbptt_k1_steps: 8
    tbptt_k2_steps: 24
    clip_norm: 0.5
    learning_rate: 0.003
`;

function parse(text: string) {
  const r = parsePipelineText(text, 't.yaml');
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.value.pipelines[0];
}

function at(text: string, snippet: string): string {
  const before = text.slice(0, text.indexOf(snippet)).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

describe('retrainSettingsFrom', () => {
  it('maps every training.online option', () => {
    const s = retrainSettingsFrom(parse(BASE + ONLINE));
    expect(s).toEqual({
      bufferSteps: 128,
      bufferStreams: 1024,
      windowSteps: 128,
      windowStreams: 32,
      minSteps: 64,
      train: {
        k1: 8,
        k2: 24,
        learningRate: 0.003,
        clipNorm: 0.5,
        maxEpochs: 12,
        patience: 4,
        loss: 'gaussian-nll',
        compareOn: 'mse',
        warmStart: false,
        validationFraction: 0.2,
        maxTimeMs: 9000,
      },
      schedule: { everyMs: 60000, everySteps: 300, driftFactor: 3.5, baselineSteps: 50, errorAlpha: 0.02 },
      margin: 0.1,
      rewarmSteps: 16,
      // every_ms > 0: the wall-clock mode
      deterministic: false,
      applyAfterSteps: 300,
      checkSteps: 50,
    });
    const det = retrainSettingsFrom(parse(BASE + ONLINE.replace('every_ms: 60000', 'every_ms: 0\n    apply_after_steps: 77')));
    expect([det.deterministic, det.applyAfterSteps, det.checkSteps, det.schedule.everyMs]).toEqual([true, 77, 50, 0]);
    const forced = retrainSettingsFrom(parse(BASE + ONLINE.replace('every_ms: 60000', 'every_ms: 60000\n    deterministic: true')));
    expect([forced.deterministic, forced.schedule.everyMs]).toEqual([true, 0]);
  });

  it('defaults to the earlier built-in values, the unset training ones from training.offline', () => {
    const s = retrainSettingsFrom(
      parse(`${BASE}training:\n  offline:\n    epochs: 5\n    tbptt_steps: 20\n    learning_rate: 0.02\n    max_time_ms: 7000\n`),
    );
    expect(s.train).toEqual({
      k1: 20,
      k2: 20,
      learningRate: 0.02,
      clipNorm: 1,
      maxEpochs: 5,
      patience: 2,
      loss: 'gaussian-nll',
      compareOn: 'mse',
      warmStart: true,
      validationFraction: 0.2,
      maxTimeMs: 7000,
    });
    expect(s.schedule).toEqual({ everyMs: 0, everySteps: 1000, driftFactor: 2, baselineSteps: 200, errorAlpha: 0.02 });
    expect([s.margin, s.rewarmSteps, s.windowSteps]).toEqual([0.02, 48, 512]);
    // Event time by default: results applied every_steps after their trigger, checks every 200 steps.
    expect([s.deterministic, s.applyAfterSteps, s.checkSteps]).toEqual([true, 1000, 200]);
  });

  it('reports bad options with file:line:col', () => {
    const text =
      BASE +
      ONLINE.replace('promotion_margin: 0.1', 'promotion_margin: 1.5')
        .replace('warm_start: false', 'warm_start: nope')
        .replace('tbptt_k1_steps: 8', 'tbptt_k1_step: 8');
    const r = parsePipelineText(text, 'bad.yaml');
    expect(r.ok).toBe(false);
    const lines = r.ok ? [] : r.issues.map(formatIssue);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^bad\\.yaml:${at(text, '1.5')} training\\.online\\.promotion_margin: must be ≤ 1, got 1.5`)),
        expect.stringMatching(new RegExp(`^bad\\.yaml:${at(text, 'nope')} training\\.online\\.warm_start: expected boolean`)),
        expect.stringMatching(
          new RegExp(
            `^bad\\.yaml:${at(text, 'tbptt_k1_step:')} training\\.online\\.tbptt_k1_step: unknown key \\(did you mean "tbptt_k1_steps"\\?\\)`,
          ),
        ),
      ]),
    );
  });

  it('state.models_topic needs a Kafka connector for its connection', () => {
    const text = `${BASE}  models_topic: tidecast-models\n`;
    const r = parsePipelineText(text, 'm.yaml');
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      `m.yaml:${at(text, 'tidecast-models')} state.models_topic: needs a Kafka source or sink (their connection is used)`,
    ]);
    const withKafka = text.replace(
      'state:',
      'sinks:\n  - kind: kafka\n    connection: { brokers: [k1:9092] }\n    forecasts_topic: f\nstate:',
    );
    expect(parse(withKafka).state.models_topic).toBe('tidecast-models');
    expect(parse(BASE).state.models_topic).toBeUndefined();
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from './config-issue.js';
import { parsePipelineText } from './load-pipeline.js';

// Where a snippet sits in the text: 1-based line and column of its first character.
function at(text: string, snippet: string, occurrence = 0): string {
  let idx = -1;
  for (let i = 0; i <= occurrence; i++) idx = text.indexOf(snippet, idx + 1);
  if (idx < 0) throw new Error(`snippet ${snippet} not in text`);
  const before = text.slice(0, idx).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

const GOOD = `name: t1
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

describe('parsePipelineText', () => {
  it('accepts every file in pipelines/ and fills the defaults', () => {
    const dir = join(import.meta.dirname, '../../pipelines');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'weather.yaml', 'stocks.yaml', 'health.yaml']));
    for (const f of files) {
      const r = parsePipelineText(readFileSync(join(dir, f), 'utf8'), f);
      expect(r.ok ? [] : r.issues.map(formatIssue), f).toEqual([]);
    }
  });

  it('reads a minimal pipeline with defaults', () => {
    const r = parsePipelineText(GOOD, 'good.yaml');
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    const p = r.value.pipelines[0];
    expect(p.model).toMatchObject({ cell: 'gru', layers: 1, units: 8, horizon: 3 });
    expect(p.state.checkpoint_interval_ms).toBe(30_000);
    expect(p.sinks).toEqual([]);
    expect(r.value.http).toBeUndefined();
  });

  it('reports every problem at once with file:line:col, path, message and hint', () => {
    const text = GOOD.replace('cell: gru', 'cell: lstn')
      .replace('units: 8', 'units: 0')
      .replace('kind: file', 'kind: fiel')
      .replace('step_ms: 60000\n', 'step_ms: 60000\nhorizn: 3\n')
      .replace('  dir: var/state/t1\n', '  dir: var/state/t1\n  checkpoint_interval_ms: fast\n');
    const r = parsePipelineText(text, 'broken.yaml');
    expect(r.ok).toBe(false);
    const lines = r.ok ? [] : r.issues.map(formatIssue);
    expect(lines).toEqual([
      `broken.yaml:${at(text, 'horizn')} horizn: unknown key (allowed keys: name, description, fields, step_ms, ordering, impute, normalise, features, input, batching, sources, sinks, model, training, alerting, state, limits, http)`,
      `broken.yaml:${at(text, 'fiel')} sources[0].kind: must be one of "file" | "kafka" | "influxdb", got "fiel" (did you mean "file"?)`,
      `broken.yaml:${at(text, 'lstn')} model.cell: must be one of "rnn" | "lstm" | "lstm-peephole" | "gru" | "esn", got "lstn" (did you mean "lstm"?)`,
      `broken.yaml:${at(text, '0\n  horizon')} model.units: must be ≥ 1, got 0 (Hidden units per layer.)`,
      `broken.yaml:${at(text, 'fast')} state.checkpoint_interval_ms: expected number, got "fast" (Wall-clock time between periodic checkpoints; one is always written on shutdown.)`,
    ]);
  });

  it('suggests the key meant, points at missing keys, and checks a bundle across pipelines', () => {
    const text = `pipelines:
  - name: a
    step_ms: 1000
    sources: [{ kind: file, path: x.csv, key_column: stream }]
    model: { cell: rnn, units: 4, horizon: 2, unitz: 3 }
    state: { dir: var/s }
  - name: a
    step_ms: 1000
    sources: [{ kind: file, path: x.csv, key_column: stream }]
    model: { cell: rnn, horizon: 2 }
    state: { dir: var/s }
`;
    const r = parsePipelineText(text, 'b.yaml');
    const lines = r.ok ? [] : r.issues.map(formatIssue);
    expect(lines).toEqual([
      `b.yaml:${at(text, 'unitz')} pipelines[0].model.unitz: unknown key (did you mean "units"?)`,
      `b.yaml:${at(text, '{ cell: rnn, horizon')} pipelines[1].model.units: required number is missing (Hidden units per layer.)`,
    ]);
    // Cross-pipeline rules run once each pipeline is valid.
    const fixed = text.replace(', unitz: 3', '').replace('{ cell: rnn, horizon: 2 }', '{ cell: rnn, units: 4, horizon: 2 }');
    const r2 = parsePipelineText(fixed, 'b.yaml');
    expect(r2.ok ? [] : r2.issues.map(formatIssue)).toEqual([
      `b.yaml:${at(fixed, 'a\n', 1)} pipelines[1].name: duplicate pipeline name "a"`,
      `b.yaml:${at(fixed, 'var/s', 1)} pipelines[1].state.dir: state.dir "var/s" is shared with pipelines[0]`,
    ]);
  });

  it('rejects a source that reads fields the pipeline does not declare, and accepts a webhook sink', () => {
    const text = GOOD.replace('    key_column: stream\n', '    key_column: stream\n    value_columns: [value, humidity]\n').replace(
      'model:',
      'sinks:\n  - kind: webhook\n    url: http://127.0.0.1:9/hook\n    secret: s3cret\nmodel:',
    );
    const r = parsePipelineText(text, 'f.yaml');
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      `f.yaml:${at(text, '[value, humidity]')} sources[0].value_columns: "humidity" not among the pipeline's fields [value]: every record would be dead-lettered`,
    ]);
    const fixed = parsePipelineText(text.replace('[value, humidity]', '[value]'), 'f.yaml');
    if (!fixed.ok) throw new Error(fixed.issues.map(formatIssue).join('\n'));
    expect(fixed.value.pipelines[0].sinks[0]).toMatchObject({ kind: 'webhook', url: 'http://127.0.0.1:9/hook', max_attempts: 5 });
  });

  it('reports YAML syntax errors with their place', () => {
    const r = parsePipelineText('name: x\nmodel: [unclosed\n', 'y.yaml');
    expect(r.ok).toBe(false);
    const first = r.ok ? '' : formatIssue(r.issues[0]);
    expect(first).toMatch(/^y\.yaml:\d+:\d+ \(document\): .+ \(YAML [A-Z_]+\)$/);
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineText } from '../config/load-pipeline.js';
import { repairFile } from './repair-file.js';

// `tidecast repair` end to end on a long-format file: every grid step written once, observed
// values byte-identical to the input, gaps filled and marked imputed, a gap past --max-gap left empty.

const dir = await mkdtemp(join(tmpdir(), 'tidecast-repair-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('repairFile', () => {
  it('writes the step grid with observed values as read and filled gaps marked', async () => {
    const spec = parsePipelineText(
      `name: r
step_ms: 3600000
sources: [{ kind: file, path: x.csv, key_column: stream }]
model: { cell: gru, units: 4, horizon: 1 }
state: { dir: ${dir}/state }
`,
      'r.yaml',
    );
    if (!spec.ok) throw new Error(JSON.stringify(spec.issues));
    const rows: string[] = ['stream,timestamp,value'];
    const observed = new Map<string, string>();
    const start = Date.UTC(2024, 0, 1);
    for (const s of ['a', 'b']) {
      for (let t = 0; t < 600; t++) {
        const hidden = (t >= 100 && t < 110) || (t >= 300 && t < 324) || (s === 'b' && t >= 400 && t < 500);
        if (hidden) continue;
        const v = (20 + 5 * Math.sin((2 * Math.PI * t) / 24) + (s === 'b' ? 3 : 0) + 0.37 * Math.cos(t)).toFixed(3);
        const ts = new Date(start + t * 3_600_000).toISOString();
        observed.set(`${s},${ts}`, v);
        rows.push(`${s},${ts},${v}`);
      }
    }
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.csv');
    await writeFile(input, `${rows.join('\n')}\n`);
    const summary = await repairFile(spec.value.pipelines[0], {
      input,
      output,
      settings: { trainBatches: 10, batch: 4, units: 4, maxGapSteps: 48 },
    });
    const lines = (await readFile(output, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('stream,timestamp,value,imputed');
    expect(lines.length - 1).toBe(1200);
    let filled = 0,
      empty = 0;
    for (const line of lines.slice(1)) {
      const [s, ts, v, imputed] = line.split(',');
      const seen = observed.get(`${s},${ts}`);
      if (seen !== undefined) {
        expect(Number(v)).toBe(Number(seen));
        expect(imputed).toBe('0');
      } else if (v === '') {
        empty++;
        expect(imputed).toBe('0');
      } else {
        filled++;
        expect(imputed).toBe('1');
        expect(Number.isFinite(Number(v))).toBe(true);
      }
    }
    expect([filled, empty]).toEqual([68, 100]);
    expect([summary.streams, summary.gapsFilled, summary.gapsLeft, summary.period]).toEqual([2, 4, 1, 24]);
  });
});

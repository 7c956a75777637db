import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FileSource } from '../../connectors/file/file-source.js';
import { targetField, type PipelineSpec } from '../config/pipeline-schema.js';
import { fastestKernels } from '../models/kernels/fastest-kernels.js';
import { replaySourceConfig } from './replay/replay.js';
import { resolveAutoStep } from './infer-step.js';
import { GapRepairer, type RepairFitReport, type RepairSettings } from '../repair/gap-repairer.js';

// `tidecast repair`: reads a history file the way the pipeline's file source does, puts each
// stream's target field on the pipeline's step grid (mean per step), trains one GapRepairer on all
// streams of the file, fills the gaps and writes every grid step as `stream,timestamp,value,imputed`
// (imputed 1 = filled; observed values are written as read, gaps it cannot fill are left empty).

export interface RepairFileOptions {
  readonly input: string;
  readonly output: string;
  readonly settings?: Partial<RepairSettings>;
}

export interface RepairFileSummary {
  readonly streams: number;
  readonly steps: number;
  readonly observed: number;
  readonly filled: number;
  readonly gapsFilled: number;
  readonly gapsLeft: number;
  readonly stepMs: number;
  readonly period: number;
  readonly fit: RepairFitReport;
}

interface Grid {
  readonly start: number;
  readonly sum: number[];
  readonly count: number[];
}

export async function repairFile(fileSpec: PipelineSpec, o: RepairFileOptions): Promise<RepairFileSummary> {
  const cfg = replaySourceConfig(fileSpec, o.input);
  const spec = await resolveAutoStep(fileSpec, [cfg]);
  const step = spec.step_ms;
  const field = targetField(spec);
  const grids = new Map<string, Grid>();
  const source = new FileSource(cfg, { name: 'repair', paced: false });
  for await (const b of source.batches(new AbortController().signal)) {
    for (const obs of b.observations) {
      const v = obs.fields[field];
      if (v === undefined || !Number.isFinite(v)) continue;
      let g = grids.get(obs.key);
      if (g === undefined) grids.set(obs.key, (g = { start: Math.floor(obs.eventTime / step), sum: [], count: [] }));
      const i = Math.floor(obs.eventTime / step) - g.start;
      if (i < 0) continue; // out of order before the stream's first step: not placed (counted as not observed)
      while (g.sum.length <= i) {
        g.sum.push(0);
        g.count.push(0);
      }
      g.sum[i] += v;
      g.count[i]++;
    }
  }
  // One day of steps is the season when that is 2..2000 steps (as the readouts' default).
  const daySteps = Math.round(86_400_000 / step);
  const period = spec.model.readout.season_steps ?? (daySteps >= 2 && daySteps <= 2_000 ? daySteps : 0);
  const series = [...grids.entries()].map(([key, g]) => ({
    key,
    start: g.start,
    values: Float64Array.from(g.sum, (s, i) => (g.count[i] > 0 ? s / g.count[i] : NaN)),
    phase0: period > 0 ? g.start % period : 0,
  }));
  const repairer = new GapRepairer({ period, ...o.settings }, fastestKernels());
  const fit = repairer.fit(series);
  await mkdir(dirname(o.output), { recursive: true });
  const out = createWriteStream(o.output);
  out.write('stream,timestamp,value,imputed\n');
  let steps = 0,
    observed = 0,
    filled = 0,
    gapsFilled = 0,
    gapsLeft = 0;
  for (const s of series) {
    const r = repairer.repair(s);
    gapsFilled += r.gapsFilled;
    gapsLeft += r.gapsLeft;
    const lines: string[] = [];
    for (let i = 0; i < r.values.length; i++) {
      const v = r.values[i];
      steps++;
      if (r.imputed[i] === 1) filled++;
      else if (Number.isFinite(v)) observed++;
      lines.push(`${csvKey(s.key)},${new Date((s.start + i) * step).toISOString()},${Number.isFinite(v) ? String(v) : ''},${r.imputed[i]}`);
    }
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  return { streams: series.length, steps, observed, filled, gapsFilled, gapsLeft, stepMs: step, period, fit };
}

function csvKey(key: string): string {
  return /[",\n]/.test(key) ? `"${key.replaceAll('"', '""')}"` : key;
}

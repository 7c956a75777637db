import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { PipelineSpec } from '../../config/pipeline-schema.js';
import { defaultAlertsPath } from './replay-alerts.js';
import type { UnscoredCounts } from './replay-unscored.js';
import { replayFile, type ReplayOptions, type ReplaySummary } from './replay.js';

// `tidecast replay --input dir/`: every CSV and JSON-lines file under the folder, each replayed on
// its own with fresh engine state and its own model preparation (the files are independent series),
// written under --output with the same relative names (.csv; JSON inputs get .csv instead of their
// extension), and one summary per file plus the total.

const INPUT = /\.(csv|jsonl|json)$/i;

/** Data files under `dir`, relative to it, sorted; files under `skip` (the output folder) are left out. */
export async function listReplayInputs(dir: string, skip?: string): Promise<string[]> {
  const root = resolve(dir);
  const skipAbs = skip === undefined ? undefined : resolve(skip);
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    if (skipAbs !== undefined && d === skipAbs) return;
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && INPUT.test(e.name) && !e.name.endsWith('.alerts.jsonl')) out.push(relative(root, p));
    }
  };
  await walk(root);
  return out.sort();
}

/** Output CSV of one input of a folder replay. */
export function folderOutputPath(outDir: string, rel: string): string {
  return join(outDir, rel.replace(/\.(jsonl|json)$/i, '.csv'));
}

export async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

export interface FolderReplay {
  readonly files: readonly { readonly input: string; readonly output: string; readonly summary: ReplaySummary }[];
  readonly total: ReplayTotal;
}

export type ReplayTotal = Omit<ReplaySummary, 'stepMs'> & { readonly files: number };

export interface FolderOptions extends Omit<ReplayOptions, 'input' | 'output' | 'alerts' | 'onProgress'> {
  readonly input: string;
  readonly output: string;
  /** Folder of the alerts files (same relative names, .alerts.jsonl); default: beside the outputs. false: none. */
  readonly alerts?: string | false;
  /** Called after each file with its summary. */
  readonly onFile?: (input: string, output: string, s: ReplaySummary) => void;
  /** Data rows read so far over all files. */
  readonly onProgress?: (rows: number) => void;
}

export async function replayFolder(spec: PipelineSpec, o: FolderOptions): Promise<FolderReplay> {
  const inputs = await listReplayInputs(o.input, o.output);
  const outputs = inputs.map((rel) => folderOutputPath(o.output, rel));
  const clash = outputs.find((p, i) => outputs.indexOf(p) !== i);
  if (clash !== undefined) throw new Error(`two inputs would both write ${clash} (a .csv and a .json(l) of the same name)`);
  const files: { input: string; output: string; summary: ReplaySummary }[] = [];
  let before = 0;
  for (const [i, rel] of inputs.entries()) {
    const input = join(o.input, rel);
    const output = outputs[i];
    const alerts = o.alerts === false ? undefined : defaultAlertsPath(o.alerts === undefined ? output : folderOutputPath(o.alerts, rel));
    const summary = await replayFile(spec, { ...o, input, output, alerts, onProgress: (n) => o.onProgress?.(before + n) });
    before += summary.rows;
    files.push({ input, output, summary });
    o.onFile?.(input, output, summary);
  }
  return { files, total: totalOf(files.map((f) => f.summary)) };
}

/** Sums of the per-file summaries. */
export function totalOf(all: readonly ReplaySummary[]): ReplayTotal {
  const sum = (f: (s: ReplaySummary) => number) => all.reduce((a, s) => a + f(s), 0);
  const deadLetters: Record<string, number> = {};
  for (const s of all) for (const [c, n] of Object.entries(s.deadLetters)) deadLetters[c] = (deadLetters[c] ?? 0) + n;
  const unscored = {} as Record<keyof UnscoredCounts, number>;
  for (const k of ['fit', 'imputed', 'warmup', 'start', 'restart'] as const) unscored[k] = sum((s) => s.unscored[k]);
  const withAlerts = all.filter((s) => s.alerts !== undefined);
  const alerts =
    withAlerts.length === 0
      ? undefined
      : {
          events: sum((s) => s.alerts?.events ?? 0),
          pending: sum((s) => s.alerts?.pending ?? 0),
          firing: sum((s) => s.alerts?.firing ?? 0),
          resolved: sum((s) => s.alerts?.resolved ?? 0),
          byRule: {} as Record<string, number>,
        };
  for (const s of withAlerts)
    for (const [r, n] of Object.entries(s.alerts?.byRule ?? {})) if (alerts) alerts.byRule[r] = (alerts.byRule[r] ?? 0) + n;
  return {
    files: all.length,
    rows: sum((s) => s.rows),
    steps: sum((s) => s.steps),
    written: sum((s) => s.written),
    deadLetters,
    streams: sum((s) => s.streams),
    scored: sum((s) => s.scored),
    unscored,
    ...(alerts === undefined ? {} : { alerts }),
  };
}

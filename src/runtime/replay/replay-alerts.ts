import { jsonReplacer } from '../../../connectors/file/file-sink.js';
import type { AlertEvent } from '../../core/alert-event.js';
import { compileGlob } from '../../alerting/stream-glob.js';
import { LineFile } from './line-file.js';

// `tidecast replay`'s alerts file: every alert event the pipeline's rules produce (pending, firing,
// resolved, storm summaries), one JSON line each, written exactly as the daemon's file sink writes
// its `alerts_path`. The alert engine runs in event time, so a replay and the daemon on the same
// records and model write the same lines.

/** Default alerts file of an output: out.csv -> out.alerts.jsonl. */
export function defaultAlertsPath(output: string): string {
  return `${output.replace(/\.(csv|jsonl?|txt)$/i, '')}.alerts.jsonl`;
}

/** One alert event as the file sink writes it. */
export function alertLine(a: AlertEvent): string {
  return JSON.stringify(a, jsonReplacer);
}

/** Rules whose `streams` glob matches none of the streams seen: a test bench's most likely mistake. */
export function rulesMatchingNothing(
  rules: readonly { readonly name: string; readonly streams: string }[],
  streams: Iterable<string>,
): string[] {
  const keys = [...streams];
  return rules.filter((r) => !keys.some((k) => compileGlob(r.streams).test(k))).map((r) => `${r.name} (streams: ${r.streams})`);
}

export class ReplayAlerts {
  /** Events by state, for the summary. */
  readonly counts = { pending: 0, firing: 0, resolved: 0 };
  /** Events per rule. */
  readonly byRule: Record<string, number> = {};

  private constructor(private readonly file: LineFile) {}

  static async create(path: string): Promise<ReplayAlerts> {
    return new ReplayAlerts(await LineFile.create(path));
  }

  add(a: AlertEvent): void {
    this.counts[a.state]++;
    this.byRule[a.rule] = (this.byRule[a.rule] ?? 0) + 1;
    this.file.push(alertLine(a));
  }

  get events(): number {
    return this.file.lines;
  }

  drain(): Promise<void> {
    return this.file.drain();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

import type { Logger } from '../telemetry/logger.js';

// Progress of long offline work (replay, train): a rewritten status line with rate and ETA on a
// terminal, a log line every few seconds otherwise (CI logs, files).

export interface Progress {
  update(done: number): void;
  finish(done: number): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly unit: string;
  readonly total: number | undefined;
  readonly log: Logger;
  readonly tty?: boolean;
  readonly out?: NodeJS.WritableStream;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? (() => performance.now());
  const tty = o.tty ?? process.stderr.isTTY === true;
  const out = o.out ?? process.stderr;
  const every = o.intervalMs ?? (tty ? 200 : 5_000);
  const start = now();
  let last = start;
  const line = (done: number): { text: string; rate: number; etaS: number | undefined } => {
    const elapsed = Math.max(1e-9, (now() - start) / 1000);
    const rate = done / elapsed;
    const etaS = o.total !== undefined && rate > 0 ? Math.max(0, (o.total - done) / rate) : undefined;
    const pct = o.total ? ` ${((100 * done) / o.total).toFixed(1)}%` : '';
    const eta = etaS !== undefined ? ` ETA ${formatDuration(etaS)}` : '';
    return {
      text: `${o.label}: ${done}${o.total ? `/${o.total}` : ''} ${o.unit}${pct}, ${Math.round(rate)} ${o.unit}/s${eta}`,
      rate,
      etaS,
    };
  };
  return {
    update(done) {
      const t = now();
      if (t - last < every) return;
      last = t;
      const l = line(done);
      if (tty) out.write(`\r${l.text}\u001b[K`);
      else
        o.log.info(
          { done, total: o.total, rate: Math.round(l.rate), etaS: l.etaS === undefined ? undefined : Math.round(l.etaS) },
          `${o.label} in progress.`,
        );
    },
    finish(done) {
      const l = line(done);
      if (tty) out.write(`\r${l.text}\u001b[K\n`);
      o.log.info({ done, rate: Math.round(l.rate), seconds: Number(((now() - start) / 1000).toFixed(3)) }, `${o.label} finished.`);
    },
  };
}

export function formatDuration(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

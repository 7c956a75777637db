import type { PipelineSpec } from '../../config/pipeline-schema.js';
import { formatDuration } from '../../operators/step-setting.js';
import type { StepRow } from '../../engine/engine-listener.js';

// Why `tidecast replay` left steps unscored, counted per reason for its summary, and why it wrote
// nothing at all when it did not (a log warning naming the likely cause).

export interface UnscoredCounts {
  /** Rows inside the offline fit's window: the model trained on them, so they are not scored. */
  fit: number;
  /** Rows whose value was imputed (nothing real to score). */
  imputed: number;
  /** Real rows before the stream's scorer had a scale to score with (per-stream warm-up). */
  warmup: number;
  /** Each stream's first step: nothing was forecast for it, so it has no row. */
  start: number;
  /** First step after a gap longer than impute.max_gap_steps: the state restarted, no row. */
  restart: number;
}

/** Fed from the engine's listener: `step` for every grid step, `row` for every StepRow. */
export class UnscoredTally {
  scored = 0;
  rows = 0;
  steps = 0;
  private readonly counts: UnscoredCounts = { fit: 0, imputed: 0, warmup: 0, start: 0, restart: 0 };
  /** Grid steps per stream so far (the engine's count, which its fit window is compared with). */
  private readonly seen = new Map<string, number>();
  private fitSteps = 0;
  private fitStreams: ReadonlySet<string> = new Set();

  setFitWindow(steps: number, streams: Iterable<string>): void {
    this.fitSteps = steps;
    this.fitStreams = new Set(streams);
  }

  step(key: string): void {
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    this.steps++;
  }

  row(r: StepRow): void {
    this.rows++;
    if (!Number.isNaN(r.score)) this.scored++;
    else if (r.imputed) this.counts.imputed++;
    else if (this.inFit(r.key)) this.counts.fit++;
    else this.counts.warmup++;
  }

  /** True while the stream's current step is one the offline fit trained on. */
  inFit(key: string): boolean {
    return (this.seen.get(key) ?? 0) <= this.fitSteps && this.fitStreams.has(key);
  }

  /** The counts; steps without a row are each stream's first step and the restarts after gaps. */
  result(): UnscoredCounts {
    const start = this.seen.size;
    return { ...this.counts, start, restart: Math.max(0, this.steps - this.rows - start) };
  }
}

/** What a replay that wrote no row saw, for the warning. */
export interface EmptyReplayFacts {
  readonly rows: number;
  readonly observations: number;
  readonly deadLetters: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly streams: number;
  /** Median spacing of the input's timestamps per stream (NaN when unknown). */
  readonly spacingMs: number;
}

/** The likely reason a replay wrote no row, in words. */
export function nothingWrittenReason(spec: PipelineSpec, f: EmptyReplayFacts): string {
  const dead = Object.values(f.deadLetters).reduce((a, b) => a + b, 0);
  const codes = Object.entries(f.deadLetters)
    .map(([c, n]) => `${c}: ${n}`)
    .join(', ');
  if (f.rows === 0) return 'the input has no data rows';
  if (f.observations === 0)
    return `no record was read (${dead} dead-lettered${codes ? `: ${codes}` : ''}); check the input's columns against the pipeline's file source (or --key-column, --time-column, --value-columns)`;
  if (f.steps === 0)
    return `no grid step was closed from ${f.observations} records (${dead} dead-lettered${codes ? `: ${codes}` : ''}); check the fields and the ordering section`;
  const step = spec.step_ms;
  const spacing = f.spacingMs;
  const maxGap = spec.impute.max_gap_steps;
  const spacingText = Number.isFinite(spacing)
    ? ` The data's timestamps are about ${formatDuration(spacing)} apart, step_ms is ${formatDuration(step)}.`
    : '';
  if (Number.isFinite(spacing) && spacing > (maxGap + 1) * step) {
    return `every step follows a gap longer than impute.max_gap_steps (${maxGap}), so every stream restarts and nothing is forecast one step ahead: step_ms is far smaller than the data's spacing.${spacingText} Set step_ms to the spacing (or "auto").`;
  }
  if (f.steps <= f.streams) {
    return `each stream has a single grid step, so nothing is forecast one step ahead: step_ms is far larger than the data's spacing, or the file is too short.${spacingText}`;
  }
  return `${f.steps} steps of ${f.streams} streams produced no one-step forecast (non-finite values or a log transform of values <= 0?).${spacingText}`;
}

import type { BatchOutputs, IngestBatch } from '../core/ports.js';

// What flows through a composed pipeline: one source batch (its observations, dead letters,
// position and acknowledgement) and, once forecast() ran, the outputs it produced. Operators work
// on whole batches, so the per-event cost stays a loop inside each operator.

export interface PipelineBatch {
  /** The source's name (positions in checkpoints are kept per source). */
  readonly source: string;
  readonly input: IngestBatch;
  /** Forecasts, alerts and dead letters the batch produced; empty until forecast() ran (alerts: alertOn()). */
  outputs: BatchOutputs;
  /**
   * The batch closes the data (endOfData, closeOpenSteps): no step follows, so alertOn() also
   * settles what waits for later steps (group rules' open times, the storm window's summary).
   */
  endOfData: boolean;
  /** Set by toSinks() when writing the outputs failed; commit() then retries the batch or fails. */
  failed: { readonly error: unknown } | undefined;
  /** Lets the source pull its next batch (back-pressure); commit() calls it, and so does skipStale(). */
  readonly release: () => void;
}

export const NO_OUTPUTS: BatchOutputs = Object.freeze({ forecasts: [], actuals: [], alerts: [], deadLetters: [] });

/** A batch with no source behind it to pace (release does nothing). */
export function pipelineBatch(source: string, input: IngestBatch, release: () => void = () => {}): PipelineBatch {
  return { source, input, outputs: NO_OUTPUTS, endOfData: false, failed: undefined, release };
}

import { lastValueFrom, map, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { BatchOutputs, IngestBatch, OutputSink } from '../core/ports.js';
import { commit, skipStale } from './commit.js';
import { fromBatches } from './from-source.js';
import type { PipelineBatch } from './pipeline-batch.js';
import { toSinks } from './to-sinks.js';

// The composition's contract with sources and sinks: pulled on demand (one batch in flight),
// acknowledged only after the sinks wrote and flushed its outputs, redelivered after a failed write
// when the source can, dropped when stale.

const log: string[] = [];
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

function batch(i: number, extra: Partial<IngestBatch> = {}): IngestBatch {
  return {
    observations: [],
    deadLetters: [],
    position: i,
    ack: async () => {
      await tick();
      log.push(`ack ${i}`);
    },
    ...extra,
  };
}

async function* source(n: number, make: (i: number) => IngestBatch = batch): AsyncGenerator<IngestBatch> {
  try {
    for (let i = 1; i <= n; i++) {
      log.push(`pull ${i}`);
      yield make(i);
    }
  } finally {
    log.push('source closed');
  }
}

function slowSink(failAt = new Set<number>()): OutputSink & { written: number[] } {
  const written: number[] = [];
  let current = 0;
  return {
    kind: 'test',
    written,
    async write(out: BatchOutputs) {
      await tick();
      current = out.forecasts.length;
      if (failAt.delete(current)) throw new Error(`write ${current} failed`);
      written.push(current);
      log.push(`write ${current}`);
    },
    async flush(durable: boolean) {
      await tick();
      log.push(`flush ${current} ${durable}`);
    },
    async close() {},
  };
}

/** Gives batch i i forecasts (what forecast() would attach), so the sink sees which batch it writes. */
const outputsOf = (b: PipelineBatch): PipelineBatch => {
  const i = b.input.position ?? 0;
  b.outputs = { forecasts: Array.from({ length: i }, () => ({}) as never), alerts: [], deadLetters: [] };
  return b;
};

describe('composed pipeline: back-pressure and acknowledgement', () => {
  it('pulls the next batch only after the previous one was written, flushed and acknowledged', async () => {
    log.length = 0;
    const sink = slowSink();
    const out = await lastValueFrom(fromBatches('s', source(3)).pipe(map(outputsOf), toSinks([sink]), commit(), toArray()));
    expect(out.map((b) => b.input.position)).toEqual([1, 2, 3]);
    expect(log).toEqual([
      'pull 1',
      'write 1',
      'flush 1 false',
      'ack 1',
      'pull 2',
      'write 2',
      'flush 2 false',
      'ack 2',
      'pull 3',
      'write 3',
      'flush 3 false',
      'ack 3',
      'source closed',
    ]);
  });

  it('redelivers a batch whose write failed when its source can, without acknowledging it', async () => {
    log.length = 0;
    const sink = slowSink(new Set([2]));
    const retried: unknown[] = [];
    const make = (i: number): IngestBatch =>
      batch(i, {
        retry: async () => {
          log.push(`retry ${i}`);
        },
      });
    await lastValueFrom(
      fromBatches('s', source(3, make)).pipe(map(outputsOf), toSinks([sink]), commit({ onRetry: (e) => retried.push(e) }), toArray()),
    );
    expect(sink.written).toEqual([1, 3]);
    expect(log).toContain('retry 2');
    expect(log).not.toContain('ack 2');
    expect(retried.map((e) => (e as Error).message)).toEqual(['write 2 failed']);
  });

  it('fails the pipeline on a failed write the source cannot redeliver, and closes the source', async () => {
    log.length = 0;
    const sink = slowSink(new Set([2]));
    await expect(lastValueFrom(fromBatches('s', source(3)).pipe(map(outputsOf), toSinks([sink]), commit()))).rejects.toThrow(
      'write 2 failed',
    );
    await tick();
    expect(log).not.toContain('ack 2');
    expect(log).not.toContain('pull 3');
    expect(log).toContain('source closed');
  });

  it('drops stale batches and keeps pulling', async () => {
    log.length = 0;
    const make = (i: number): IngestBatch => batch(i, { stale: () => i === 2 });
    const out = await lastValueFrom(fromBatches('s', source(3, make)).pipe(skipStale(), commit(), toArray()));
    expect(out.map((b) => b.input.position)).toEqual([1, 3]);
    expect(log).not.toContain('ack 2');
  });

  it('stops pulling once aborted: the batch in flight finishes, the source is closed', async () => {
    log.length = 0;
    const ac = new AbortController();
    const out = await lastValueFrom(
      fromBatches('s', source(5), ac.signal).pipe(
        tap((b) => {
          if (b.input.position === 2) ac.abort();
        }),
        commit(),
        toArray(),
      ),
    );
    expect(out.map((b) => b.input.position)).toEqual([1, 2]);
    expect(log).toEqual(['pull 1', 'ack 1', 'pull 2', 'ack 2', 'source closed']);
  });
});

import { describe, expect, it } from 'vitest';
import type { IngestBatch } from '../core/ports.js';
import { fromBatches } from './from-source.js';
import type { PipelineBatch } from './pipeline-batch.js';

// A source that keeps its acknowledgements right by itself (RuntimeSource.inFlight: Kafka) has up to
// `inFlight` batches pulled and unreleased at once; the next is pulled only when one is released.

async function* numbered(n: number, pulled: number[]): AsyncGenerator<IngestBatch> {
  for (let i = 1; i <= n; i++) {
    pulled.push(i);
    yield { observations: [], deadLetters: [], position: i };
  }
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('fromBatches with inFlight', () => {
  it('pulls up to inFlight unreleased batches, then one more per release, in order', async () => {
    const pulled: number[] = [];
    const held: PipelineBatch[] = [];
    let completed = false;
    fromBatches('s', numbered(6, pulled), undefined, 3).subscribe({ next: (b) => held.push(b), complete: () => (completed = true) });
    await settle();
    expect(pulled).toEqual([1, 2, 3]);
    held[1].release();
    held[1].release(); // a second release of the same batch frees nothing more
    await settle();
    expect(pulled).toEqual([1, 2, 3, 4]);
    for (const b of held.slice()) b.release();
    await settle();
    for (const b of held.slice()) b.release();
    await settle();
    expect(held.map((b) => b.input.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(completed).toBe(true);
  });

  it('pulls one at a time by default', async () => {
    const pulled: number[] = [];
    const held: PipelineBatch[] = [];
    fromBatches('s', numbered(3, pulled)).subscribe({ next: (b) => held.push(b) });
    await settle();
    expect(pulled).toEqual([1]);
    held[0].release();
    await settle();
    expect(pulled).toEqual([1, 2]);
    held[1].release();
    held[2]?.release();
  });
});

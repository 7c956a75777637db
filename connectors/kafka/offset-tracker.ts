// Which offset of one partition may be committed: the end of the longest prefix of handed-out batches that
// are all acked. Batches are acked in any order; a commit never passes an unacked record.

const NONE = -1;

export class PartitionTracker {
  /** Bumped on reset: acks of batches handed out before it are stale and ignored. */
  generation = 0;
  /** Records handed out and not yet acked: what backpressure bounds. */
  unacked = 0;
  /** Offset to commit next (first offset not yet known to be done); -1 before any batch. */
  private commitPoint = NONE;
  private committed = NONE;
  // Ring of in-flight batches in offset order: next offset after the batch, record count, acked flag.
  private ends = new Float64Array(16);
  private counts = new Int32Array(16);
  private acked = new Uint8Array(16);
  private head = 0;
  private size = 0;
  /** Sequence number of the batch at `head`; batch ids are sequence numbers. */
  private headSeq = 0;
  private lastEnd = NONE;
  private seeking = false;
  private refused = 0;

  /**
   * Hands out a batch covering [firstOffset, lastOffset] with `count` records; returns its id.
   * Returns -1 (batch to drop) when it overlaps what was handed out already, e.g. a stale refetch.
   */
  track(firstOffset: number, lastOffset: number, count: number): number {
    if (this.lastEnd !== NONE && firstOffset < this.lastEnd) return -1;
    if (this.size === this.ends.length) this.grow();
    if (this.commitPoint === NONE) this.commitPoint = firstOffset;
    this.seeking = false;
    const slot = (this.head + this.size) % this.ends.length;
    this.ends[slot] = lastOffset + 1;
    this.counts[slot] = count;
    this.acked[slot] = 0;
    this.size++;
    this.unacked += count;
    this.lastEnd = lastOffset + 1;
    return this.headSeq + this.size - 1;
  }

  /** Marks a batch done; false when the id is stale or unknown (acked twice, or before a reset). */
  ack(id: number, generation: number): boolean {
    if (generation !== this.generation) return false;
    const i = id - this.headSeq;
    if (i < 0 || i >= this.size) return false;
    const slot = (this.head + i) % this.ends.length;
    if (this.acked[slot] === 1) return false;
    this.acked[slot] = 1;
    this.unacked -= this.counts[slot];
    while (this.size > 0 && this.acked[this.head] === 1) {
      this.commitPoint = this.ends[this.head];
      this.head = (this.head + 1) % this.ends.length;
      this.size--;
      this.headSeq++;
    }
    return true;
  }

  /** The offset to commit now, or -1 when nothing new became committable since the last commit. */
  committable(): number {
    return this.commitPoint > this.committed ? this.commitPoint : NONE;
  }

  markCommitted(offset: number): void {
    if (offset > this.committed) this.committed = offset;
  }

  /** First offset not yet done: where to resume after a retry. -1 before any batch. */
  resumePoint(): number {
    return this.commitPoint;
  }

  /** Next offset expected (end of the last batch handed out, or the seek target); -1 when any. */
  position(): number {
    return this.lastEnd;
  }

  /**
   * After a seek: whether a batch starting at `first` may be the refetch. A batch that starts past the
   * target was fetched before the seek took effect; after a few of those a gap is taken as real (compaction).
   */
  acceptsAfterSeek(first: number): boolean {
    if (!this.seeking || first <= this.lastEnd) return true;
    return ++this.refused > 8;
  }

  /**
   * Forgets every in-flight batch (revoke, retry, restart); their acks become stale. With `seekTo`, the next
   * batch must start there (see acceptsAfterSeek).
   */
  reset(seekTo = NONE): void {
    this.seeking = seekTo !== NONE;
    this.refused = 0;
    this.generation++;
    this.unacked = 0;
    this.head = 0;
    this.size = 0;
    this.headSeq = 0;
    this.commitPoint = NONE;
    this.committed = NONE;
    this.lastEnd = seekTo;
  }

  private grow(): void {
    const n = this.ends.length * 2;
    const ends = new Float64Array(n);
    const counts = new Int32Array(n);
    const acked = new Uint8Array(n);
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) % this.ends.length;
      ends[i] = this.ends[slot];
      counts[i] = this.counts[slot];
      acked[i] = this.acked[slot];
    }
    this.ends = ends;
    this.counts = counts;
    this.acked = acked;
    this.head = 0;
  }
}

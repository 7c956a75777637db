// Per-stream memory of the event times already emitted inside the overlap window, so that a re-read
// of the window (tail polls, the backfill-to-tail handover) emits each point exactly once.

export class SeenTimes {
  private readonly byStream = new Map<string, number[]>();
  private newest = Number.NEGATIVE_INFINITY;

  /** Records the time; false when it was already seen for this stream. */
  add(key: string, t: number): boolean {
    let times = this.byStream.get(key);
    if (times === undefined) {
      times = [];
      this.byStream.set(key, times);
    }
    const n = times.length;
    if (n === 0 || t > times[n - 1]) {
      times.push(t); // the common case: in order
    } else {
      const i = lowerBound(times, t);
      if (times[i] === t) return false;
      times.splice(i, 0, t);
    }
    if (t > this.newest) this.newest = t;
    return true;
  }

  /** Newest time seen on any stream, -Infinity before the first. */
  get watermark(): number {
    return this.newest;
  }

  lastOf(key: string): number | undefined {
    const times = this.byStream.get(key);
    return times && times.length > 0 ? times[times.length - 1] : undefined;
  }

  /** Forgets times before `t`: they are outside every future read. Keeps each stream's newest. */
  forgetBefore(t: number): void {
    for (const times of this.byStream.values()) {
      const i = Math.min(lowerBound(times, t), times.length - 1);
      if (i > 0) times.splice(0, i);
    }
  }

  /** Times held, over all streams (bounded by the overlap window). */
  get size(): number {
    let n = 0;
    for (const times of this.byStream.values()) n += times.length;
    return n;
  }

  streams(): IterableIterator<string> {
    return this.byStream.keys();
  }
}

function lowerBound(a: readonly number[], t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Remembers, per stream, the last forecasts issued (time and model version), so that when the actual
// value at time t arrives it can be written into each earlier forecast's point for t (same tags, same
// time: InfluxDB merges the field into that point). Bounded: as many entries per stream as horizons.

interface Issued {
  times: Float64Array;
  versions: string[];
  horizons: Int32Array;
  next: number;
}

export interface ActualTarget {
  readonly horizon: number;
  readonly modelVersion: string;
}

export class ActualTracker {
  private readonly byStream = new Map<string, Issued>();

  constructor(private readonly capacity: number) {}

  issued(stream: string, t: number, horizons: number, modelVersion: string): void {
    let s = this.byStream.get(stream);
    if (s === undefined) {
      s = {
        times: new Float64Array(this.capacity).fill(Number.NaN),
        versions: new Array<string>(this.capacity).fill(''),
        horizons: new Int32Array(this.capacity),
        next: 0,
      };
      this.byStream.set(stream, s);
    }
    s.times[s.next] = t;
    s.versions[s.next] = modelVersion;
    s.horizons[s.next] = horizons;
    s.next = (s.next + 1) % this.capacity;
  }

  /** The earlier forecasts that predicted time t, one per horizon h = (t - issue time) / step. */
  targets(stream: string, t: number, stepMs: number): ActualTarget[] {
    const s = this.byStream.get(stream);
    const out: ActualTarget[] = [];
    if (s === undefined) return out;
    for (let i = 0; i < this.capacity; i++) {
      const h = (t - s.times[i]) / stepMs;
      if (Number.isInteger(h) && h >= 1 && h <= s.horizons[i]) out.push({ horizon: h, modelVersion: s.versions[i] });
    }
    return out.sort((a, b) => a.horizon - b.horizon);
  }

  forget(stream: string): void {
    this.byStream.delete(stream);
  }
}

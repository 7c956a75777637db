import { describe, expect, it } from 'vitest';
import { ActualTracker } from './actual-tracker.js';

describe('ActualTracker', () => {
  it('finds, for an actual at t, each earlier forecast whose horizons reach t', () => {
    const tr = new ActualTracker(4);
    tr.issued('s', 0, 3, 'v1');
    tr.issued('s', 60, 3, 'v1');
    tr.issued('s', 120, 3, 'v2');
    // t = 180: issued at 120 (h=1, v2), 60 (h=2, v1), 0 (h=3, v1)
    expect(tr.targets('s', 180, 60)).toEqual([
      { horizon: 1, modelVersion: 'v2' },
      { horizon: 2, modelVersion: 'v1' },
      { horizon: 3, modelVersion: 'v1' },
    ]);
    expect(tr.targets('s', 240, 60)).toEqual([
      { horizon: 2, modelVersion: 'v2' },
      { horizon: 3, modelVersion: 'v1' },
    ]);
    expect(tr.targets('other', 180, 60)).toEqual([]);
  });

  it('keeps only the last `capacity` issues per stream', () => {
    const tr = new ActualTracker(2);
    for (let t = 0; t <= 180; t += 60) tr.issued('s', t, 5, `v${t}`);
    expect(tr.targets('s', 240, 60)).toEqual([
      { horizon: 1, modelVersion: 'v180' },
      { horizon: 2, modelVersion: 'v120' },
    ]);
  });
});

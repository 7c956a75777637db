import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/core/types.js';
import { forecastTransferables, packForecasts, unpackForecasts } from './packed-forecasts.js';
import { forecastRecord } from './records.js';

describe('packed forecasts', () => {
  it('give the same Kafka records after the trip to the producer thread', () => {
    const forecasts: Forecast[] = Array.from({ length: 50 }, (_, i) => {
      const h = 1 + (i % 4);
      const at = (k: number) => Float64Array.from({ length: h }, (_, j) => (j === 1 && i % 5 === 0 ? NaN : Math.sin(i * 7 + j + k)));
      return {
        pipeline: i % 2 === 0 ? 'p' : 'q',
        key: `s${i % 9}/ü`,
        t: 1_700_000_000_000 + i,
        stepMs: 60_000,
        modelVersion: i < 25 ? 'v1' : 'v2',
        mean: at(0),
        lower: at(1),
        upper: at(2),
      };
    });
    const packed = packForecasts('forecasts', forecasts);
    expect(packed.strings.length).toBe(9 + 2 + 2); // each distinct string once
    const back = unpackForecasts(structuredClone(packed, { transfer: forecastTransferables(packed) }));
    expect(back.map((f) => forecastRecord('forecasts', f))).toEqual(forecasts.map((f) => forecastRecord('forecasts', f)));
  });
});

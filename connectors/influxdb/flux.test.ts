import { describe, expect, it } from 'vitest';
import { fluxPage, fluxString } from './flux.js';

describe('fluxPage', () => {
  it('ranges, filters, pivots fields into columns and sorts by time then stream tags', () => {
    const q = fluxPage(
      {
        measurement: 'weather',
        fields: ['temp_c', 'rh'],
        tags: ['station'],
        tagFilter: { station: ['KSEA', 'KPDX'] },
        start: Date.UTC(2024, 0, 1),
        stop: Date.UTC(2024, 0, 2),
        limit: 100,
        offset: 7,
      },
      'sensors',
    );
    expect(q.split('\n')).toEqual([
      'from(bucket: "sensors")',
      '  |> range(start: 2024-01-01T00:00:00.000Z, stop: 2024-01-02T00:00:00.000Z)',
      '  |> filter(fn: (r) => r._measurement == "weather")',
      '  |> filter(fn: (r) => r._field == "temp_c" or r._field == "rh")',
      '  |> filter(fn: (r) => r["station"] == "KSEA" or r["station"] == "KPDX")',
      '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
      '  |> group()',
      '  |> keep(columns: ["_time", "temp_c", "rh", "station"])',
      '  |> sort(columns: ["_time", "station"])',
      '  |> limit(n: 100, offset: 7)',
    ]);
  });

  it('is open-ended (far future stop) without a stop', () => {
    const q = fluxPage({ measurement: 'm', fields: ['v'], tags: [], tagFilter: {}, start: 0, limit: 1, offset: 0 }, 'b');
    expect(q).toContain('range(start: 1970-01-01T00:00:00.000Z, stop: 2200-01-01T00:00:00.000Z)');
  });

  it('escapes quotes, backslashes and interpolation', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the test is that ${x} stays literal
    expect(fluxString('a"b\\c${x}')).toBe('"a\\"b\\\\c\\${x}"');
  });
});

import { describe, expect, it } from 'vitest';
import { influxqlPage, quoteIdent, quoteString } from './influxql.js';

describe('influxqlPage', () => {
  it('selects fields and stream tags in order, bounded in time, ordered and paged', () => {
    const q = influxqlPage({
      measurement: 'weather',
      fields: ['temp_c', 'rh'],
      tags: ['station'],
      tagFilter: { station: ['KSEA', 'KPDX'], source: 'metar' },
      start: 1_700_000_000_000,
      stop: 1_700_000_600_000,
      limit: 500,
      offset: 3,
    });
    expect(q).toBe(
      `SELECT "temp_c", "rh", "station"::tag FROM "weather" WHERE time >= 1700000000000ms AND time < 1700000600000ms` +
        ` AND ("station" = 'KSEA' OR "station" = 'KPDX') AND "source" = 'metar' ORDER BY time ASC LIMIT 500 OFFSET 3`,
    );
  });

  it('names the retention policy and leaves the stop and offset out when open', () => {
    const q = influxqlPage({ measurement: 'm', fields: ['v'], tags: [], tagFilter: {}, start: 0, limit: 10, offset: 0 }, 'one_week');
    expect(q).toBe(`SELECT "v" FROM "one_week"."m" WHERE time >= 0ms ORDER BY time ASC LIMIT 10`);
  });

  it('escapes quotes and backslashes so values cannot break out of their literal', () => {
    expect(quoteIdent('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteString("it's \\ ok")).toBe("'it\\'s \\\\ ok'");
    const q = influxqlPage({ measurement: 'm', fields: ['v'], tags: [], tagFilter: { t: "x' OR 1=1 --" }, start: 0, limit: 1, offset: 0 });
    expect(q).toContain(`"t" = 'x\\' OR 1=1 --'`);
  });
});

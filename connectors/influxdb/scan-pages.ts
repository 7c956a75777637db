import type { PageQuery, PageReader, PageRow } from './page-query.js';

// Keyset paging in time order: the next page starts at the last page's newest time, skipping the rows
// at that time already returned (an OFFSET counted only within that one timestamp), so a page boundary
// that falls inside a timestamp neither repeats nor loses rows.

export type ScanQuery = Omit<PageQuery, 'start' | 'stop' | 'offset'>;

/**
 * With `windowMs`, each request is also bounded to [cursor, cursor + windowMs): Flux sorts everything in
 * a request's range before it limits, so on a long backfill a window keeps each request small.
 */
export async function* scanPages(
  reader: PageReader,
  q: ScanQuery,
  start: number,
  stop: number | undefined,
  signal?: AbortSignal,
  windowMs?: number,
): AsyncGenerator<PageRow[]> {
  let cursor = start;
  let skip = 0;
  for (;;) {
    if (signal?.aborted) return;
    const windowStop = windowMs !== undefined && stop !== undefined && cursor + windowMs < stop ? cursor + windowMs : stop;
    const rows = await reader.readPage({ ...q, start: cursor, stop: windowStop, offset: skip }, signal);
    if (rows.length > 0) yield rows;
    if (rows.length < q.limit) {
      if (windowStop === stop) return;
      cursor = windowStop as number; // this window is done: on to the next
      skip = 0;
      continue;
    }
    const last = rows[rows.length - 1].time;
    if (last === cursor) {
      skip += rows.length;
    } else {
      cursor = last;
      skip = 0;
      for (let i = rows.length - 1; i >= 0 && rows[i].time === last; i--) skip++;
    }
  }
}

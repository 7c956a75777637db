import { compileGlob, type StreamGlob } from '../alerting/stream-glob.js';
import type { StreamKey } from '../core/types.js';
import type { ForecastStore, StreamSummary } from './forecast-store.js';

// GET /api/streams one page at a time: streams ordered by (pipeline, key) in code-unit order, a
// cursor that names the last stream a page looked at, and optional pipeline / prefix / glob filters.
// A page never lists more than `limit` streams and never inspects more than SCAN_BUDGET index
// entries, so a request costs the same at a million streams as at a thousand; a selective filter
// can give a short (even empty) page with a next_cursor: clients follow next_cursor until it is null.
// The sorted index is kept between requests: new streams are sorted on their own and merged in.

export const DEFAULT_PAGE_LIMIT = 500;
export const MAX_PAGE_LIMIT = 5000;
/** Index entries one request may inspect (filter tests), whatever the filter's selectivity. */
export const SCAN_BUDGET = 200_000;
/** Longest prefix or glob accepted (the glob costs key length × glob length steps per key). */
const MAX_FILTER_LENGTH = 512;

export interface StreamsPageQuery {
  readonly pipeline?: string;
  readonly cursor?: string;
  readonly limit: number;
  readonly prefix?: string;
  readonly glob?: string;
}

export interface StreamsPage {
  readonly streams: StreamSummary[];
  /** Pass as `cursor` for the next page; null when the listing is complete. */
  readonly next_cursor: string | null;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Validates the raw query string fields of GET /api/streams. */
export function parseStreamsQuery(q: Record<string, unknown>): Parsed<StreamsPageQuery> {
  const str = (name: string): string | undefined | null => {
    const v = q[name];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : null;
  };
  const fields = { pipeline: str('pipeline'), cursor: str('cursor'), limit: str('limit'), prefix: str('prefix'), glob: str('glob') };
  for (const [name, v] of Object.entries(fields)) {
    if (v === null) return { ok: false, message: `${name} must be given once, as a string.` };
  }
  let limit = DEFAULT_PAGE_LIMIT;
  if (typeof fields.limit === 'string') {
    const n = Number(fields.limit);
    if (fields.limit.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) {
      return { ok: false, message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got "${fields.limit}".` };
    }
    limit = n;
  }
  for (const name of ['prefix', 'glob'] as const) {
    const v = fields[name];
    if (v !== undefined && v !== null && v.length > MAX_FILTER_LENGTH) {
      return { ok: false, message: `${name} is ${v.length} characters long; at most ${MAX_FILTER_LENGTH}.` };
    }
  }
  if (fields.cursor !== undefined && fields.cursor !== null && decodeCursor(fields.cursor) === undefined) {
    return { ok: false, message: 'cursor is not one this server gave out (pass next_cursor unchanged).' };
  }
  return {
    ok: true,
    value: {
      limit,
      ...(fields.pipeline ? { pipeline: fields.pipeline } : {}),
      ...(fields.cursor ? { cursor: fields.cursor } : {}),
      ...(fields.prefix ? { prefix: fields.prefix } : {}),
      ...(fields.glob ? { glob: fields.glob } : {}),
    },
  };
}

/** A stream position: the (pipeline, key) pair, as opaque base64url text. */
export function encodeCursor(pipeline: string, key: string): string {
  return Buffer.from(JSON.stringify([pipeline, key]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): readonly [string, string] | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // Not ours: reported by parseStreamsQuery.
  }
  return undefined;
}

/** (pipeline, key) order by code units: cheap, and stable across processes and locales. */
function before(p1: string, k1: string, p2: string, k2: string): boolean {
  return p1 < p2 || (p1 === p2 && k1 < k2);
}

/** The store's streams sorted by (pipeline, key), refreshed when streams are added or removed. */
export class StreamsIndex {
  private keys: StreamKey[] = [];
  private pipelines: string[] = [];
  private added = 0;
  private removed = 0;

  constructor(private readonly store: ForecastStore, private readonly scanBudget = SCAN_BUDGET) {}

  page(query: StreamsPageQuery): StreamsPage {
    this.refresh();
    const { keys, pipelines } = this;
    const glob: StreamGlob | undefined = query.glob === undefined ? undefined : compileGlob(query.glob);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    let i = after === undefined ? 0 : this.firstAfter(after[0], after[1]);
    let end = keys.length;
    if (query.pipeline !== undefined) {
      // One pipeline's streams are one run of the index.
      i = Math.max(i, this.firstAfter(query.pipeline, ''));
      end = this.pipelineEnd(query.pipeline);
    }
    const streams: StreamSummary[] = [];
    let scanned = 0;
    for (; i < end && streams.length < query.limit && scanned < this.scanBudget; i++, scanned++) {
      const key = keys[i];
      if (query.prefix !== undefined && !key.startsWith(query.prefix)) continue;
      if (glob !== undefined && !glob.test(key)) continue;
      const summary = this.store.summary(key);
      if (summary !== undefined) streams.push(summary);
    }
    const next_cursor = i < end ? encodeCursor(pipelines[i - 1], keys[i - 1]) : null;
    return { streams, next_cursor };
  }

  /** Index of the first entry after (pipeline, key): binary search. */
  private firstAfter(pipeline: string, key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(pipeline, key, this.pipelines[mid], this.keys[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index of the first entry of a pipeline after `pipeline`. */
  private pipelineEnd(pipeline: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pipeline < this.pipelines[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private refresh(): void {
    const { added, removed } = this.store.streamChanges;
    if (added === this.added && removed === this.removed) return;
    if (removed !== this.removed) {
      this.rebuild();
    } else {
      // Only additions: they are the newest in the store's insertion order.
      const fresh = this.collect(this.keys.length);
      this.merge(fresh.keys, fresh.pipelines);
    }
    this.added = added;
    this.removed = removed;
  }

  private rebuild(): void {
    this.keys = [];
    this.pipelines = [];
    const all = this.collect(0);
    this.merge(all.keys, all.pipelines);
  }

  /** Streams from insertion index `skip` on, sorted. */
  private collect(skip: number): { keys: StreamKey[]; pipelines: string[] } {
    const entries: [StreamKey, string][] = [];
    this.store.forEachStream((key, pipeline) => { entries.push([key, pipeline]); }, skip);
    entries.sort((a, b) => (before(a[1], a[0], b[1], b[0]) ? -1 : before(b[1], b[0], a[1], a[0]) ? 1 : 0));
    return { keys: entries.map((e) => e[0]), pipelines: entries.map((e) => e[1]) };
  }

  /** Merges sorted new entries into the sorted index: linear in the index size. */
  private merge(keys: StreamKey[], pipelines: string[]): void {
    if (keys.length === 0) return;
    if (this.keys.length === 0) {
      this.keys = keys;
      this.pipelines = pipelines;
      return;
    }
    const outKeys: StreamKey[] = new Array(this.keys.length + keys.length);
    const outPipes: string[] = new Array(outKeys.length);
    let a = 0;
    let b = 0;
    for (let o = 0; o < outKeys.length; o++) {
      const takeOld = b >= keys.length || (a < this.keys.length && before(this.pipelines[a], this.keys[a], pipelines[b], keys[b]));
      if (takeOld) {
        outKeys[o] = this.keys[a];
        outPipes[o] = this.pipelines[a++];
      } else {
        outKeys[o] = keys[b];
        outPipes[o] = pipelines[b++];
      }
    }
    this.keys = outKeys;
    this.pipelines = outPipes;
  }
}

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
export const SCAN_BUDGET = 50_000;
const SYNC_MERGE_MAX = 20_000;
const CHUNK = 65_536;
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

export interface StreamsIndexOptions {
  /** Index entries one request may inspect. Default SCAN_BUDGET. */
  readonly scanBudget?: number;
  /** New streams merged at once; more, or a rebuild, sort in chunks. Default 20,000. */
  readonly syncMergeMax?: number;
  /** Keys sorted or merged between two turns of the event loop. Default 65,536. */
  readonly chunk?: number;
}

/** The store's streams sorted by (pipeline, key), refreshed when streams are added or removed. */
export class StreamsIndex {
  private keys: StreamKey[] = [];
  private pipelines: string[] = [];
  private added = 0;
  private removed = 0;
  /** Removals since the last rebuild: their entries are still in the index. */
  private stale = 0;
  /** A rebuild in progress: requests wait for it. */
  private building: Promise<void> | undefined;

  private readonly scanBudget: number;
  private readonly syncMergeMax: number;
  private readonly chunk: number;

  constructor(
    private readonly store: ForecastStore,
    options: StreamsIndexOptions = {},
  ) {
    this.scanBudget = options.scanBudget ?? SCAN_BUDGET;
    this.syncMergeMax = options.syncMergeMax ?? SYNC_MERGE_MAX;
    this.chunk = options.chunk ?? CHUNK;
  }

  async page(query: StreamsPageQuery): Promise<StreamsPage> {
    await this.fresh();
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
      // Entries of removed streams stay until the next compaction: skipped here.
      const summary = this.store.summary(key);
      if (summary !== undefined && summary.pipeline === pipelines[i]) streams.push(summary);
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

  /**
   * Brings the index up to the store. New streams are the newest in the store's insertion order: a
   * few are sorted alone and merged in (linear). Removed streams are skipped when read, and the index
   * is rebuilt only once they are a quarter of it, so evictions do not sort on every request. A
   * rebuild (or many new streams) sorts in chunks between which the event loop runs: at a million
   * streams one sort would stop every pipeline for seconds.
   */
  private async fresh(): Promise<void> {
    while (this.building !== undefined) await this.building;
    const { added, removed } = this.store.streamChanges;
    if (added === this.added && removed === this.removed) return;
    const fresh = added - this.added;
    const stale = this.stale + removed - this.removed;
    if (stale <= Math.max(1000, this.keys.length / 4) && fresh <= this.syncMergeMax) {
      this.stale = stale;
      this.added = added;
      this.removed = removed;
      if (fresh > 0) {
        const tail = this.collect(Math.max(0, added - removed - fresh));
        this.merge(tail.keys, tail.pipelines);
      }
      return;
    }
    this.building = this.rebuild(added, removed).finally(() => {
      this.building = undefined;
    });
    await this.building;
  }

  /** Every stream, sorted in chunks; the store's counters as they were when it was read. */
  private async rebuild(added: number, removed: number): Promise<void> {
    const groups = this.groups(0);
    const keys: StreamKey[][] = [];
    const pipelines: string[][] = [];
    for (const pipeline of [...groups.keys()].sort()) {
      const sorted = await sortInChunks(groups.get(pipeline) as StreamKey[], this.chunk);
      keys.push(sorted);
      pipelines.push(new Array<string>(sorted.length).fill(pipeline));
    }
    this.keys = ([] as StreamKey[]).concat(...keys);
    this.pipelines = ([] as string[]).concat(...pipelines);
    this.stale = 0;
    this.added = added;
    this.removed = removed;
  }

  /** Streams from insertion index `skip` on, by pipeline. */
  private groups(skip: number): Map<string, StreamKey[]> {
    const groups = new Map<string, StreamKey[]>();
    this.store.forEachStream((key, pipeline) => {
      let g = groups.get(pipeline);
      if (g === undefined) groups.set(pipeline, (g = []));
      g.push(key);
    }, skip);
    return groups;
  }

  /** Streams from insertion index `skip` on, sorted (a few: at once). */
  private collect(skip: number): { keys: StreamKey[]; pipelines: string[] } {
    const groups = this.groups(skip);
    const keys: StreamKey[] = [];
    const pipelines: string[] = [];
    for (const pipeline of [...groups.keys()].sort()) {
      // The built-in sort compares code units, as `before` does, and is three times faster than a comparator.
      for (const key of (groups.get(pipeline) as StreamKey[]).sort()) {
        keys.push(key);
        pipelines.push(pipeline);
      }
    }
    return { keys, pipelines };
  }

  /**
   * Merges sorted new entries into the sorted index, linear in its size. An entry already there (a
   * stream removed and added again since the last refresh) is kept once.
   */
  private merge(keys: StreamKey[], pipelines: string[]): void {
    if (keys.length === 0) return;
    if (keys.length * 64 < this.keys.length) {
      this.insertFew(keys, pipelines);
      return;
    }
    const oldKeys = this.keys;
    const oldPipes = this.pipelines;
    const outKeys: StreamKey[] = [];
    const outPipes: string[] = [];
    let a = 0;
    let b = 0;
    while (a < oldKeys.length || b < keys.length) {
      if (b < keys.length && a < oldKeys.length && keys[b] === oldKeys[a] && pipelines[b] === oldPipes[a]) {
        b++;
      } else if (b >= keys.length || (a < oldKeys.length && before(oldPipes[a], oldKeys[a], pipelines[b], keys[b]))) {
        outKeys.push(oldKeys[a]);
        outPipes.push(oldPipes[a++]);
      } else {
        outKeys.push(keys[b]);
        outPipes.push(pipelines[b++]);
      }
    }
    this.keys = outKeys;
    this.pipelines = outPipes;
  }

  /** A few new entries into a large index: binary searches, then native slice copies between them. */
  private insertFew(keys: StreamKey[], pipelines: string[]): void {
    const keyParts: StreamKey[][] = [];
    const pipeParts: string[][] = [];
    let from = 0;
    for (let j = 0; j < keys.length; j++) {
      const at = this.firstAtOrAfter(pipelines[j], keys[j], from);
      if (at < this.keys.length && this.keys[at] === keys[j] && this.pipelines[at] === pipelines[j]) continue;
      keyParts.push(this.keys.slice(from, at), [keys[j]]);
      pipeParts.push(this.pipelines.slice(from, at), [pipelines[j]]);
      from = at;
    }
    keyParts.push(this.keys.slice(from));
    pipeParts.push(this.pipelines.slice(from));
    this.keys = ([] as StreamKey[]).concat(...keyParts);
    this.pipelines = ([] as string[]).concat(...pipeParts);
  }

  /** Index of the first entry at or after (pipeline, key), searching from `lo`. */
  private firstAtOrAfter(pipeline: string, key: string, lo: number): number {
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.pipelines[mid], this.keys[mid], pipeline, key)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Sorts keys (code-unit order) in runs of `chunk`, merged pairwise, letting the event loop run between. */
async function sortInChunks(keys: StreamKey[], chunk: number): Promise<StreamKey[]> {
  if (keys.length <= chunk) return keys.sort();
  let runs: StreamKey[][] = [];
  for (let i = 0; i < keys.length; i += chunk) {
    runs.push(keys.slice(i, i + chunk).sort());
    await turn();
  }
  while (runs.length > 1) {
    const next: StreamKey[][] = [];
    for (let r = 0; r < runs.length; r += 2) next.push(r + 1 < runs.length ? await mergeSorted(runs[r], runs[r + 1], chunk) : runs[r]);
    runs = next;
  }
  return runs[0];
}

async function mergeSorted(a: StreamKey[], b: StreamKey[], chunk: number): Promise<StreamKey[]> {
  const out = new Array<StreamKey>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (o % chunk === chunk - 1) await turn();
  }
  return out;
}

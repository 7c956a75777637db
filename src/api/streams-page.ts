import { compileGlob, type StreamGlob } from '../alerting/stream-glob.js';
import type { StreamKey } from '../core/types.js';
import type { ForecastStore, StreamSummary } from './forecast-store.js';
import { before, SortedBlocks } from './sorted-blocks.js';

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
  private entries = new SortedBlocks();
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
    const { entries } = this;
    const glob: StreamGlob | undefined = query.glob === undefined ? undefined : compileGlob(query.glob);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    let i = after === undefined ? 0 : entries.firstWhere((p, k) => before(after[0], after[1], p, k));
    let end = entries.length;
    if (query.pipeline !== undefined) {
      // One pipeline's streams are one run of the index.
      const pipeline = query.pipeline;
      i = Math.max(
        i,
        entries.firstWhere((p) => pipeline <= p),
      );
      end = entries.firstWhere((p) => pipeline < p);
    }
    const streams: StreamSummary[] = [];
    const budget = Math.min(end, i + this.scanBudget);
    let last: readonly [string, string] | undefined;
    i = entries.scan(i, budget, (key, pipeline) => {
      last = [pipeline, key];
      if (query.prefix !== undefined && !key.startsWith(query.prefix)) return true;
      if (glob !== undefined && !glob.test(key)) return true;
      // Entries of removed streams stay until the next compaction: skipped here.
      const summary = this.store.summary(key);
      if (summary !== undefined && summary.pipeline === pipeline) streams.push(summary);
      return streams.length < query.limit;
    });
    const next_cursor = i < end && last !== undefined ? encodeCursor(last[0], last[1]) : null;
    return { streams, next_cursor };
  }

  /**
   * Brings the index up to the store. New streams come from the store's added log: a few are sorted
   * alone and merged in (linear in the index, no walk over the store). Removed streams are skipped when read, and the index
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
    if (stale <= Math.max(1000, this.entries.length / 4) && fresh <= this.syncMergeMax) {
      // New streams come from the store's added log (what changed, not a walk over every stream).
      const tail = fresh === 0 ? { keys: [], pipelines: [] } : this.collectAdded(this.added);
      if (tail !== undefined) {
        this.added = added;
        this.removed = removed;
        this.stale = stale;
        this.merge(tail.keys, tail.pipelines);
        return;
      }
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
    this.entries = SortedBlocks.fromSorted(([] as StreamKey[]).concat(...keys), ([] as string[]).concat(...pipelines));
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

  /**
   * The streams added since the store's `since`-th addition and still held under the pipeline they
   * were added to, sorted, each once (the store's added log: no walk over every stream); undefined
   * when the log does not reach back that far (then the caller rebuilds).
   */
  private collectAdded(since: number): { keys: StreamKey[]; pipelines: string[] } | undefined {
    const groups = new Map<string, StreamKey[]>();
    const complete = this.store.addedSince(since, (key, pipeline) => {
      if (this.store.pipelineOf(key) !== pipeline) return; // removed (or moved) since: not indexed
      let g = groups.get(pipeline);
      if (g === undefined) groups.set(pipeline, (g = []));
      g.push(key);
    });
    if (!complete) return undefined;
    const keys: StreamKey[] = [];
    const pipelines: string[] = [];
    for (const pipeline of [...groups.keys()].sort()) {
      // The built-in sort compares code units, as `before` does, and is three times faster than a comparator.
      let prev: StreamKey | undefined;
      for (const key of (groups.get(pipeline) as StreamKey[]).sort()) {
        if (key === prev) continue; // removed and added again since: listed twice in the log
        keys.push(key);
        pipelines.push(pipeline);
        prev = key;
      }
    }
    return { keys, pipelines };
  }

  /** Adds new entries (sorted or not); one already there (removed and added again) is kept once. */
  private merge(keys: StreamKey[], pipelines: string[]): void {
    for (let j = 0; j < keys.length; j++) this.entries.insert(pipelines[j], keys[j]);
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

// What one page of a source read asks for, and what comes back, independent of the query language.

export type TagFilter = Readonly<Record<string, string | readonly string[]>>;

export interface PageQuery {
  readonly measurement: string;
  readonly fields: readonly string[];
  /** Tags returned with each row (the stream tags). */
  readonly tags: readonly string[];
  readonly tagFilter: TagFilter;
  /** Inclusive, epoch ms. */
  readonly start: number;
  /** Exclusive, epoch ms; open-ended when absent. */
  readonly stop?: number;
  readonly limit: number;
  readonly offset: number;
}

/** One row: a time, the stream tags' values (aligned with `PageQuery.tags`) and the fields' values. */
export interface PageRow {
  readonly time: number;
  readonly tags: readonly (string | null)[];
  readonly values: readonly unknown[];
}

/** Reads one page, rows in time order (ties in a stable server order). */
export interface PageReader {
  readPage(query: PageQuery, signal?: AbortSignal): Promise<PageRow[]>;
}

export function filterValues(v: string | readonly string[]): readonly string[] {
  return typeof v === 'string' ? [v] : v;
}

// The stream list as the server pages it (GET /api/streams: ordered by pipeline and key, a cursor per
// page, a filter applied server-side). Pages load as the list scrolls towards its end; a refresh
// re-reads only the pages in view, so a daemon with 10,000 (or 1,000,000) streams costs the page the
// same as one with a hundred.

const PAGE = 200;
/** Empty pages (a selective filter over many streams) followed in one go before yielding. */
const MAX_EMPTY_HOPS = 50;

/** A search box text -> query: a glob as typed when it has * or ?, else "contains" (**text**). */
export function filterQuery(text) {
  const q = text.trim();
  if (q === '') return '';
  return `&glob=${encodeURIComponent(/[*?]/.test(q) ? q : `**${q}**`)}`;
}

export class StreamPages {
  /** @param {(url: string) => Promise<any>} getJson */
  constructor(getJson) {
    this.getJson = getJson;
    this.filter = '';
    this.generation = 0; // bumps on a new filter: answers for an older one are dropped
    this.reset();
  }

  reset() {
    this.pages = []; // { cursor: string|null (the one that fetched it), streams: [] }
    this.next = null; // cursor of the page after the last loaded; null with done
    this.done = false;
    this.loading = null;
    this.count = 0;
  }

  setFilter(text) {
    const f = filterQuery(text);
    if (f === this.filter) return false;
    this.filter = f;
    this.generation++;
    this.reset();
    return true;
  }

  /** Stream at list index i (undefined when not loaded). */
  at(i) {
    for (const p of this.pages) {
      if (i < p.streams.length) return p.streams[i];
      i -= p.streams.length;
    }
    return undefined;
  }

  url(cursor) {
    return `/api/streams?limit=${PAGE}${this.filter}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
  }

  /** Loads the next page with streams (following empty ones); resolves true when streams were added. */
  loadMore() {
    // An empty list is never done: the daemon may not have seen a stream yet when the page opens.
    if (this.done && this.pages.length > 0) return Promise.resolve(false);
    if (this.loading) return this.loading;
    const gen = this.generation;
    this.loading = (async () => {
      try {
        for (let hop = 0; hop < MAX_EMPTY_HOPS; hop++) {
          const cursor = this.pages.length === 0 && this.next === null ? null : this.next;
          const page = await this.getJson(this.url(cursor));
          if (gen !== this.generation) return false;
          this.next = page.next_cursor;
          this.done = page.next_cursor === null;
          if (page.streams.length > 0) {
            this.pages.push({ cursor, streams: page.streams });
            this.count += page.streams.length;
            return true;
          }
          if (this.done) return false;
        }
        return false;
      } finally {
        if (gen === this.generation) this.loading = null;
      }
    })();
    return this.loading;
  }

  /**
   * Re-reads the pages holding list items [first, last). A page whose streams changed (added or
   * removed) drops the pages after it: they load again as the list scrolls.
   */
  async refresh(first, last) {
    const gen = this.generation;
    let start = 0;
    for (let p = 0; p < this.pages.length; p++) {
      const page = this.pages[p];
      const end = start + page.streams.length;
      if (end > first && start < last) {
        const fresh = await this.getJson(this.url(page.cursor));
        if (gen !== this.generation || this.pages[p] !== page) return;
        const same = fresh.streams.length === page.streams.length && fresh.streams.every((s, i) => s.key === page.streams[i].key);
        page.streams = fresh.streams;
        if (!same || p === this.pages.length - 1) {
          // A changed page drops the ones after it; the last page learns whether more follow now
          // (streams added after a full last page load as the list scrolls).
          this.pages.length = p + 1;
          this.next = fresh.next_cursor;
          this.done = fresh.next_cursor === null;
          this.count = this.pages.reduce((n, x) => n + x.streams.length, 0);
          return;
        }
      }
      start = end;
      if (start >= last) return;
    }
  }
}

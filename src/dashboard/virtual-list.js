// A virtualised list: only the rows in view (plus a few either side) exist in the DOM, recycled as the
// list scrolls, each placed by a transform inside one spacer as tall as the whole list. Every row
// has the same height, so nothing is ever measured per row: the viewport's height comes from a
// ResizeObserver (no forced layout), the scroll position from the scroll event.

const OVERSCAN = 6;

export class VirtualList {
  /**
   * @param {HTMLElement} scroller the scrolling element (overflow-y: auto)
   * @param {number} rowHeight CSS px of every row
   * @param {(el: HTMLElement, index: number) => void} fill writes item `index` into a recycled row element
   * @param {() => HTMLElement} create makes an empty row element
   * @param {(first: number, last: number) => void} onRange told which items are in view after each render
   */
  constructor(scroller, rowHeight, create, fill, onRange) {
    this.scroller = scroller;
    this.rowHeight = rowHeight;
    this.create = create;
    this.fill = fill;
    this.onRange = onRange;
    this.count = 0;
    this.viewport = 800;
    this.scrollTop = 0;
    this.rows = []; // recycled elements; rows[i] shows item this.first + i
    this.first = 0;
    this.queued = false;
    this.spacer = document.createElement('div');
    this.spacer.className = 'vlist-spacer';
    scroller.append(this.spacer);
    scroller.addEventListener(
      'scroll',
      () => {
        this.scrollTop = scroller.scrollTop;
        this.schedule();
      },
      { passive: true },
    );
    new ResizeObserver((entries) => {
      const h = entries[entries.length - 1].contentRect.height;
      if (h > 0 && h !== this.viewport) {
        this.viewport = h;
        this.schedule();
      }
    }).observe(scroller);
  }

  /** The number of items changed (or their contents did): rows in view are refilled at the next frame. */
  setCount(count) {
    if (count !== this.count) {
      this.count = count;
      this.spacer.style.height = `${count * this.rowHeight}px`;
    }
    this.schedule();
  }

  /** Refills the rows in view now (after their data changed), without waiting for a frame. */
  refresh() {
    this.queued = false;
    this.render();
  }

  /** First and one-past-last item index in view. */
  range() {
    const first = Math.max(0, Math.floor(this.scrollTop / this.rowHeight));
    const last = Math.min(this.count, Math.ceil((this.scrollTop + this.viewport) / this.rowHeight));
    return [first, last];
  }

  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      if (this.queued) this.refresh();
    });
  }

  render() {
    const [inFirst, inLast] = this.range();
    const first = Math.max(0, inFirst - OVERSCAN);
    const last = Math.min(this.count, inLast + OVERSCAN);
    const needed = last - first;
    while (this.rows.length < needed) {
      const el = this.create();
      el.style.position = 'absolute';
      el.style.left = '0';
      el.style.right = '0';
      el.style.height = `${this.rowHeight}px`;
      this.spacer.append(el);
      this.rows.push(el);
    }
    for (let i = 0; i < this.rows.length; i++) {
      const el = this.rows[i];
      const index = first + i;
      if (index >= last) {
        // Spare rows (the list got shorter): out of view and out of queries such as `.row`.
        if (!el.hidden) {
          el.hidden = true;
          el.className = '';
        }
        continue;
      }
      el.hidden = false;
      el.style.transform = `translateY(${index * this.rowHeight}px)`;
      this.fill(el, index);
    }
    this.first = first;
    this.onRange(inFirst, inLast);
  }
}

/// <reference lib="dom" />
// @internal Small DOM helpers for the page: escaping, lookup, a virtualised list.

/** Escape text for HTML. */
export const esc = (value: unknown): string =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export { countBelow } from './countBelow.js';

/** The element with this id; the page's HTML always has it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`inspector page: #${id} is missing`);
  return element as T;
}

/**
 * Rows drawn beyond each edge of the view: about a wheel notch, so that a scroll shows rows
 * before the list draws again. Every row drawn is laid out and painted on each move of the
 * scrubber, so no more than that.
 */
const MARGIN_ROWS = 4;

/**
 * A list that renders only the rows in view (plus a margin), each `height` px tall: 100,000
 * rows cost as much as 40.
 */
export class VirtualList {
  private readonly spacer: HTMLDivElement;
  private count = 0;
  private drawn = '';

  constructor(
    readonly root: HTMLElement,
    private readonly height: number,
    private readonly row: (index: number, top: number) => string,
  ) {
    root.classList.add('vlist');
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    // In the list from the start: a scroll before the first draw has the rows' height to go to.
    root.append(this.spacer);
    // Rows only change in `update`: a scroll that keeps the range in view (one made by `reveal`
    // after it drew) has nothing to draw.
    root.addEventListener('scroll', () => this.draw(false));
  }

  /**
   * Show `count` rows; `force` redraws even when the visible range did not change. With
   * `reveal`, the list first scrolls so that that row is visible: the rows are drawn once, where
   * they are seen.
   */
  update(count: number, force = false, reveal?: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.height}px`;
    if (reveal !== undefined) this.scrollTo(reveal);
    this.draw(force);
  }

  /** Scroll so that row `index` is visible (the rows drawn by the last `update` stay if it is). */
  reveal(index: number): void {
    this.scrollTo(index);
    this.draw(false);
  }

  private scrollTo(index: number): void {
    const top = index * this.height;
    const view = this.root.clientHeight || 300;
    if (top < this.root.scrollTop || top + this.height > this.root.scrollTop + view) {
      this.root.scrollTop = Math.max(0, top - view / 2);
    }
  }

  private draw(force: boolean): void {
    const view = this.root.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.root.scrollTop / this.height) - MARGIN_ROWS);
    const last = Math.min(
      this.count,
      Math.ceil((this.root.scrollTop + view) / this.height) + MARGIN_ROWS,
    );
    const key = `${first}:${last}:${this.count}`;
    if (!force && key === this.drawn) return;
    this.drawn = key;
    let html = '';
    for (let i = first; i < last; i++) html += this.row(i, i * this.height);
    this.root.innerHTML = html;
    this.root.prepend(this.spacer);
  }
}

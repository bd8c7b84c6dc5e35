/// <reference lib="dom" />
// @internal The event timeline: filters, free-text search, a virtualised list, JSON detail.
import { summarizeEvent } from '../../events/summarizeEvent.js';
import { byId, countBelow, esc, VirtualList } from './dom.js';
import type { EventLog } from './eventLog.js';
import { FilterMatches, filtering } from './filterMatches.js';
import { hostOf } from './fleetPanel.js';
import { globalOf, type Span } from './logWindow.js';
import type { MatchRow, RemoteMatches } from './remoteMatches.js';
import { noFilter, type TimelineFilter } from './timelineFilter.js';

export type { TimelineFilter } from './timelineFilter.js';

const ROW = 22;

/** The timeline panel. Call `render` after the log, the filter or the cursor changed. */
export class Timeline {
  readonly filter: TimelineFilter = noFilter();
  /** The events of the page's log that pass the filter. */
  private matches: FilterMatches;
  private count = 0;
  /** The rows may differ from those drawn at the same positions: the log or a filter changed. */
  private dirty = true;
  private selected: number | undefined;
  /** Over a window of a longer log: where it sits, and the server's matches while filtering. */
  private span: Span | undefined;
  private readonly list: VirtualList;

  constructor(
    private readonly log: EventLog,
    private readonly onSelect: (index: number) => void,
    /** Fleet mode: each row starts with its host. */
    private readonly fleet = false,
    /**
     * The filters over the server's whole log, for a page that holds a window of it; `onReveal`
     * gets the server log's index of a row clicked there (the page goes to it).
     */
    private readonly remote?: { readonly matches: RemoteMatches; onReveal(index: number): void },
  ) {
    this.matches = new FilterMatches(log, this.filter);
    this.list = new VirtualList(byId('timeline'), ROW, (i, top) => this.row(i, top));
    byId('timeline').addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-index],[data-global]');
      if (row?.dataset.global !== undefined) this.remote?.onReveal(Number(row.dataset.global));
      else if (row) this.onSelect(Number(row.dataset.index));
    });
  }

  /** The filter changed, or the log was replaced: scan it again. */
  refilter(): void {
    this.matches = new FilterMatches(this.log, this.filter);
    this.dirty = true;
  }

  /** Filtering a window of a longer log: the server's matches are listed. */
  private get remoteMatches(): RemoteMatches | undefined {
    return this.span !== undefined && filtering(this.filter) ? this.remote?.matches : undefined;
  }

  /**
   * Show the events among the first `cursor` that pass the filter; `selected` is highlighted
   * (and scrolled to when it changed); with `follow`, the list scrolls to the newest instead,
   * when there are more or fewer (a redraw of the same rows leaves a scroll by hand alone).
   * `span`: the log is a window of a longer one. A filter then looks through the whole log
   * on the server (`/matches`), and the list shows its matches before the cursor.
   */
  render(cursor: number, selected: number | undefined, follow = false, span?: Span): void {
    this.span = span;
    const remote = this.remoteMatches;
    const before = this.count;
    const of = (count: number, all: number) =>
      `${count.toLocaleString('en-US')} of ${all.toLocaleString('en-US')} events`;
    let counted: string;
    if (remote) {
      const position = globalOf(span!, cursor);
      remote.look(this.filter, position);
      this.count = remote.below ?? 0;
      counted =
        remote.error ??
        (remote.below === undefined
          ? `counting the matches among ${position.toLocaleString('en-US')} events…`
          : of(this.count, position));
    } else {
      if (filtering(this.filter)) {
        this.matches.update();
        this.count = upperBound(this.matches.indexes, cursor);
      } else this.count = cursor;
      counted = `${of(this.count, cursor)}${span ? ' in the window held' : ''}`;
    }
    const changed = selected !== this.selected;
    this.selected = selected;
    byId('timeline-count').textContent = counted;
    let reveal: number | undefined;
    if (follow) reveal = this.count > 0 && this.count !== before ? this.count - 1 : undefined;
    else if (changed && selected !== undefined) {
      const position = remote
        ? remote.rankOf(this.globalOf(selected) ?? -1)
        : filtering(this.filter)
          ? upperBound(this.matches.indexes, selected) - 1
          : selected;
      if (position !== undefined && position >= 0) reveal = position;
    }
    this.list.update(this.count, changed || this.dirty || remote !== undefined, reveal);
    this.dirty = false;
    remote?.send();
  }

  /** The server log's index of an event of the page's log (none for a window's context). */
  private globalOf(index: number): number | undefined {
    const { span } = this;
    return span === undefined || index < span.context ? undefined : globalOf(span, index + 1) - 1;
  }

  private row(position: number, top: number): string {
    const remote = this.remoteMatches;
    if (remote) {
      const row = remote.row(position);
      return row ? this.html(row, top) : `<div class="row" style="top:${top}px">…</div>`;
    }
    const index = filtering(this.filter) ? this.matches.indexes[position] : position;
    // A scroll may draw between a filter change and the next render: skip rows gone meanwhile.
    const event = index === undefined ? undefined : this.log.events[index];
    if (index === undefined || !event) return '';
    return this.html({ index, event }, top, true);
  }

  /** A row: an event of the page's log (`local`), else one of the server's (`data-global`). */
  private html({ index, event }: MatchRow, top: number, local = false): string {
    const origin = this.log.t0;
    const where = event.capture === undefined ? '' : `${event.capture}#${event.gen}`;
    const host = this.fleet ? `<span class="host">${esc(hostOf(event) ?? '—')}</span> ` : '';
    const selected = local
      ? index === this.selected
      : this.selected !== undefined && index === this.globalOf(this.selected);
    const at = local ? `data-index="${index}"` : `data-global="${index}"`;
    return `<div class="row${selected ? ' sel' : ''}" ${at} data-seq="${event.seq}" data-type="${esc(event.type)}" style="top:${top}px"><span class="t">${String(event.seq).padStart(6)} ${String(event.at - origin).padStart(7)}ms</span> ${host}<span class="ty">${esc(event.type)}</span> ${esc(where)} ${esc(event.id ?? '')} ${esc(summarizeEvent(event))}</div>`;
  }
}

/** How many of the sorted `values` are below `limit`. */
const upperBound = (values: readonly number[], limit: number): number =>
  countBelow(values.length, (i) => values[i]! < limit);

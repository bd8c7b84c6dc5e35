/// <reference lib="dom" />
// @internal The event timeline: filters, free-text search, a virtualised list, JSON detail.
import { summarizeEvent } from '../../events/summarizeEvent.js';
import { byId, countBelow, esc, VirtualList } from './dom.js';
import type { EventLog } from './eventLog.js';
import { findCandidates, findStamp, finding, passesFind } from './find.js';
import { hostOf } from './fleetPanel.js';
import type { TimelineFilter } from './timelineFilter.js';

export type { TimelineFilter } from './timelineFilter.js';

const ROW = 22;

/** The timeline panel. Call `render` after the log, the filter or the cursor changed. */
export class Timeline {
  readonly filter: TimelineFilter = {
    type: '',
    capture: '',
    tool: '',
    search: '',
    host: '',
    outcome: '',
    slower: '',
  };
  /** Indexes of the events that pass the filter, over the whole log. */
  private matches: number[] = [];
  private scanned = 0;
  /** What the find filters' matches hold for (find.ts `findStamp`). */
  private stamp = 0;
  private count = 0;
  /** The rows may differ from those drawn at the same positions: the log or a filter changed. */
  private dirty = true;
  private selected: number | undefined;
  private readonly list: VirtualList;

  constructor(
    private readonly log: EventLog,
    private readonly onSelect: (index: number) => void,
    /** Fleet mode: each row starts with its host. */
    private readonly fleet = false,
  ) {
    this.list = new VirtualList(byId('timeline'), ROW, (i, top) => this.row(i, top));
    byId('timeline').addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
      if (row) this.onSelect(Number(row.dataset.index));
    });
  }

  /** The filter changed: scan the log again. */
  refilter(): void {
    this.matches = [];
    this.scanned = 0;
    this.dirty = true;
  }

  private passes(index: number): boolean {
    return this.passesOthers(index) && passesFind(this.log, this.filter, this.log.events[index]!);
  }

  /** Every filter but find.ts's. */
  private passesOthers(index: number): boolean {
    const event = this.log.events[index]!;
    const f = this.filter;
    if (f.type && event.type !== f.type) return false;
    if (f.capture && event.capture !== f.capture) return false;
    if (f.tool && this.log.toolOf(event) !== f.tool) return false;
    if (f.host && hostOf(event) !== f.host) return false;
    if (f.search && !this.log.text(index).includes(f.search.toLowerCase())) return false;
    return true;
  }

  private get filtered(): boolean {
    const f = this.filter;
    return Boolean(f.type || f.capture || f.tool || f.search || f.host || finding(f));
  }

  /**
   * Show the events among the first `cursor` that pass the filter; `selected` is highlighted
   * (and scrolled to when it changed); with `follow`, the list scrolls to the newest instead.
   * `windowed`: the log is a window of a longer one, and the count says so (the filters see
   * only what the page holds).
   */
  render(cursor: number, selected: number | undefined, follow = false, windowed = false): void {
    if (this.filtered) {
      const stamp = findStamp(this.log, this.filter);
      if (stamp !== this.stamp) {
        this.stamp = stamp;
        this.refilter();
      }
      if (this.scanned === 0 && finding(this.filter)) {
        for (const index of findCandidates(this.log, this.filter))
          if (this.passesOthers(index)) this.matches.push(index);
        this.scanned = this.log.length;
      }
      for (; this.scanned < this.log.length; this.scanned++) {
        if (this.passes(this.scanned)) this.matches.push(this.scanned);
      }
      this.count = upperBound(this.matches, cursor);
    } else this.count = cursor;
    const changed = selected !== this.selected;
    this.selected = selected;
    byId('timeline-count').textContent =
      `${this.count.toLocaleString('en-US')} of ${cursor.toLocaleString('en-US')} events${windowed ? ' in the window held' : ''}`;
    let reveal: number | undefined;
    if (follow) reveal = this.count > 0 ? this.count - 1 : undefined;
    else if (changed && selected !== undefined) {
      const position = this.filtered ? upperBound(this.matches, selected) - 1 : selected;
      if (position >= 0) reveal = position;
    }
    this.list.update(this.count, changed || this.dirty, reveal);
    this.dirty = false;
  }

  private row(position: number, top: number): string {
    const index = this.filtered ? this.matches[position] : position;
    // A scroll may draw between a filter change and the next render: skip rows gone meanwhile.
    const event = index === undefined ? undefined : this.log.events[index];
    if (index === undefined || !event) return '';
    const origin = this.log.t0;
    const where = event.capture === undefined ? '' : `${event.capture}#${event.gen}`;
    const host = this.fleet ? `<span class="host">${esc(hostOf(event) ?? '—')}</span> ` : '';
    return `<div class="row${index === this.selected ? ' sel' : ''}" data-index="${index}" data-seq="${event.seq}" data-type="${esc(event.type)}" style="top:${top}px"><span class="t">${String(event.seq).padStart(6)} ${String(event.at - origin).padStart(7)}ms</span> ${host}<span class="ty">${esc(event.type)}</span> ${esc(where)} ${esc(event.id ?? '')} ${esc(summarizeEvent(event))}</div>`;
  }
}

/** How many of the sorted `values` are below `limit`. */
const upperBound = (values: readonly number[], limit: number): number =>
  countBelow(values.length, (i) => values[i]! < limit);

// @internal Which events pass the timeline's filters: the page's timeline over the log it
// holds, and the server over a whole recording (`/matches`, for a page that holds a window).
import { labelOf } from '../../events/labelEvent.js';
import type { ToolflightEvent } from '../../events/types.js';
import type { EntityInfo, EventLog } from './eventLog.js';
import type { TimelineFilter } from './timelineFilter.js';

/** The outcome filter's choices: '' is every outcome, `failure` every one but `completed`. */
export const OUTCOMES = [
  'failure',
  'blocked',
  'failed',
  'timed_out',
  'cancelled',
  'unknown',
  'completed',
];

/** The minimum duration of `slower`, or undefined when it is off (empty, negative, not a number). */
function slowerMs(slower: string): number | undefined {
  if (slower.trim() === '') return undefined;
  const ms = Number(slower);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Whether an outcome or duration filter is on. */
export const finding = (filter: TimelineFilter): boolean =>
  filter.outcome !== '' || slowerMs(filter.slower) !== undefined;

/** Whether any filter is on: the timeline then lists the matches, not every event. */
export const filtering = (f: TimelineFilter): boolean =>
  Boolean(f.type || f.capture || f.tool || f.search || f.host || finding(f));

/**
 * What the matches depend on beyond the events scanned: an entity settling (a later event
 * gives earlier ones an outcome or an end) or, under a duration filter while some are open,
 * every new event (an open one lasts up to the log's last event). When it changes, the
 * matches are scanned again.
 */
function findStamp(log: EventLog, filter: TimelineFilter): number {
  if (!finding(filter)) return 0;
  const open = (log.inFlight[log.length - 1] ?? 0) > 0;
  return slowerMs(filter.slower) !== undefined && open ? -log.length : log.settled;
}

/**
 * Whether an entity passes the outcome and duration filters, as the whole log knows it. An
 * entity with no outcome yet passes only "every outcome".
 */
function entityPasses(log: EventLog, filter: TimelineFilter, entity: EntityInfo): boolean {
  const { outcome } = entity;
  if (filter.outcome === 'failure' && (outcome === undefined || outcome === 'completed'))
    return false;
  if (filter.outcome !== '' && filter.outcome !== 'failure' && outcome !== filter.outcome)
    return false;
  const ms = slowerMs(filter.slower);
  if (ms === undefined) return true;
  const end = entity.endedAt ?? log.events[log.length - 1]?.at ?? entity.startedAt;
  return end - entity.startedAt >= ms;
}

/**
 * The events of the entities that pass the outcome and duration filters, ascending: what is
 * scanned instead of the whole log (at 1M events, a walk of the entities, not a lookup per
 * event). Marked then swept, not sorted: when nearly every entity passes, a sort costs 10x.
 */
function findCandidates(log: EventLog, filter: TimelineFilter): number[] {
  const marked = new Uint8Array(log.length);
  for (const entity of log.entities.values())
    if (entityPasses(log, filter, entity)) for (const index of entity.events) marked[index] = 1;
  const found: number[] = [];
  for (let index = 0; index < marked.length; index++) if (marked[index]) found.push(index);
  return found;
}

/**
 * The indexes of the events of a log that pass a filter, ascending, kept up as the log grows.
 * `text` is an event's lower-case, masked JSON for the free-text search (the page's
 * `EventLog.text` remembers it; a server holding a million events computes it each time).
 */
export class FilterMatches {
  readonly indexes: number[] = [];
  /** How many times the matches were scanned again from the start: a rank holds within one. */
  generation = 0;
  /** The log's events scanned so far. */
  private scanned = 0;
  private stamp = 0;
  /** The outcome and duration filters' candidates still to check, and the log length they cover. */
  private candidates: { readonly indexes: number[]; next: number; upTo: number } | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly filter: Readonly<TimelineFilter>,
    private readonly text: (index: number) => string = (index) => log.text(index),
  ) {}

  /**
   * Bring the matches up to the log: scan the events appended since, or all again when a
   * verdict may have changed. At most `budget` events are looked at (a server scans a million
   * in slices); returns whether the matches cover the whole log.
   */
  update(budget = Infinity): boolean {
    const { log, filter } = this;
    const stamp = findStamp(log, filter);
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      this.generation += 1;
      this.indexes.length = 0;
      this.scanned = 0;
      this.candidates = undefined;
    }
    if (this.scanned === 0 && this.candidates === undefined && finding(filter)) {
      const indexes = findCandidates(log, filter);
      this.candidates = { indexes, next: 0, upTo: log.length };
      budget -= Math.ceil(log.length / 16); // the walk and the sweep: cheap per event
    }
    const pending = this.candidates;
    if (pending) {
      for (; pending.next < pending.indexes.length && budget > 0; pending.next++, budget--) {
        const index = pending.indexes[pending.next]!;
        if (this.passesOthers(index)) this.indexes.push(index);
      }
      if (pending.next < pending.indexes.length) return false;
      this.candidates = undefined;
      this.scanned = pending.upTo;
    }
    for (; this.scanned < log.length && budget > 0; this.scanned++, budget--)
      if (this.passes(this.scanned)) this.indexes.push(this.scanned);
    return this.scanned >= log.length;
  }

  private passes(index: number): boolean {
    return this.passesOthers(index) && this.passesFind(this.log.events[index]!);
  }

  /** The outcome and duration filters: the event's entity's verdict. */
  private passesFind(event: ToolflightEvent): boolean {
    if (!finding(this.filter)) return true;
    const entity = event.id === undefined ? undefined : this.log.entities.get(event.id);
    return entity !== undefined && entityPasses(this.log, this.filter, entity);
  }

  /** Every filter but the outcome and duration ones. */
  private passesOthers(index: number): boolean {
    const event = this.log.events[index]!;
    const f = this.filter;
    if (f.type && event.type !== f.type) return false;
    if (f.capture && event.capture !== f.capture) return false;
    if (f.tool && this.log.toolOf(event) !== f.tool) return false;
    if (f.host && labelOf(event) !== f.host) return false;
    if (f.search && !this.text(index).includes(f.search.toLowerCase())) return false;
    return true;
  }
}

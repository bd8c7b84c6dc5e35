// @internal Windows of a recording for the page: the events around a position, the projection
// as of the window's first event, and the earlier events the page's views need to read the
// window on their own. A page shows a million-event recording by holding one window, not the log.
import { capturesStateToJson } from '../projections/capturesJson.js';
import { encodeEvent } from '../events/codec.js';
import { encodeOnce, type Encode } from './encodedEvents.js';
import type { EventFeed } from './eventFeed.js';
import { LogMatches, type MatchesAnswer, type MatchesQuery } from './logMatches.js';
import { countBelow } from './page/countBelow.js';
import { EventLog } from './page/eventLog.js';
import {
  LONGEST_CHOICE,
  MOST_CHOICES,
  type Choices,
  type Overview,
  type WindowAt,
  type WindowHeader,
} from './page/logWindow.js';
import { ProjectionCursor } from './page/projectionCursor.js';

/**
 * `/window`'s query: `at` (a position of the log), `seq`, or `failure=next|prev` with `from` (a
 * position), or none of them (the end); else why not, for a 400.
 */
export function windowAt(params: URLSearchParams): WindowAt | string {
  const given = ['at', 'seq', 'from'].filter((name) => params.has(name));
  const failure = params.get('failure');
  if (failure !== null && failure !== 'next' && failure !== 'prev')
    return `Bad Request: failure must be next or prev, got ${JSON.stringify(failure.slice(0, 40))}`;
  if (failure !== null && (given.length !== 1 || given[0] !== 'from'))
    return 'Bad Request: failure needs from (the position to look from), and nothing else';
  if (failure === null && given.includes('from'))
    return 'Bad Request: from goes with failure=next or failure=prev';
  if (given.length > 1) return 'Bad Request: give at or seq, not both';
  const name = given[0];
  if (name === undefined) return undefined;
  const text = params.get(name)!;
  const value = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(value)) {
    return `Bad Request: ${name} must be a whole number, got ${JSON.stringify(text.slice(0, 40))}`;
  }
  if (failure !== null) return { failure, from: value };
  return name === 'at' ? { at: value } : { seq: value };
}

/** Stretches of the overview: about a pixel each on a wide screen. */
const OVERVIEW_BUCKETS = 1024;

/** The types the page's outbox and inventory panels fold: all sent, whatever their age. */
const FOLDED_ALWAYS = (type: string): boolean =>
  type.startsWith('outbox.') ||
  type === 'gateway.configured' ||
  type === 'catalog.listed' ||
  type === 'upstream.changed' ||
  type === 'context.changed';

/** The events of one window, encoded, with its header. */
export interface LogWindow {
  readonly header: WindowHeader;
  readonly lines: string[];
}

/**
 * A recording's log indexed once (the page's own `EventLog` and `ProjectionCursor`, run on the
 * server), cut into windows on request. Followed recordings are indexed as they grow.
 */
export class LogWindows {
  private readonly log = new EventLog();
  private readonly projection = new ProjectionCursor(this.log);
  /** Indexes of the {@link FOLDED_ALWAYS} events, ascending. */
  private readonly always: number[] = [];
  /** The overview as of a log length (made again once the log grew). */
  private overviewOf: { length: number; overview: Overview } | undefined;
  /** The filters' choices as of a log length. */
  private choicesOf: { length: number; choices: Choices } | undefined;
  private readonly matchesOf: LogMatches;
  /** The end's window as of a log length: every page asks for it first. */
  private endOf: { length: number; window: LogWindow } | undefined;

  constructor(
    private readonly feed: EventFeed,
    /** Events in a window. */
    readonly size: number,
    /** At most this many earlier events go with a window (the newest are kept). */
    private readonly maxContext = 20_000,
    /**
     * How a window's events are encoded: each time, not remembered (`encodeOnce`). A million
     * events' lines kept in a WeakMap grew the old generation with every window, and made each
     * scavenge of the server 7 times longer (357 against 44 ms over 300 windows at 1M, and a
     * window's worst from 7 to 63 ms).
     */
    private readonly encode: Encode = encodeEvent,
  ) {
    this.matchesOf = new LogMatches(this.log, encode);
  }

  /**
   * Index what the feed holds now and fold the projection through it, leaving a checkpoint
   * every 2,048 events: done at start, while nobody waits, so that a window costs its own size.
   * The end's window, the one every page asks for first, is cut once too, and kept until the
   * log grows: its lines are encoded and the overview made before the first page waits.
   */
  prepare(): void {
    this.sync();
    this.projection.stateAt(this.log.length);
    this.window(undefined);
  }

  /** Take in what the feed appended since the last look. */
  private sync(): void {
    const last = this.log.events[this.log.length - 1]?.seq ?? 0;
    for (const event of this.feed.history(last)) {
      const index = this.log.length;
      if (this.log.append(event) && FOLDED_ALWAYS(event.type)) this.always.push(index);
    }
  }

  /**
   * The window around `where` (the end of the log when undefined): `size` events placed so
   * that the position is in their middle, or the whole log when it is no longer.
   *
   * The context is what the page cannot know from the window alone, the earlier events that
   * its views read: each capture generation's `capture.begun` and its last activity (with
   * the rest of that entity's events, so that the page knows the entity), every event of an
   * entity still live when the window starts, and the outbox and inventory events. They come
   * first, in seq order (at most `maxContext`, the newest); the page folds the projection only
   * from `base`.
   */
  window(where: WindowAt): LogWindow {
    this.sync();
    const { log, size } = this;
    const total = log.length;
    if (where === undefined && this.endOf?.length === total) return this.endOf.window;
    const failure = where !== undefined && 'failure' in where ? this.failure(where) : undefined;
    const at =
      where === undefined
        ? total
        : 'at' in where
          ? Math.min(where.at, total)
          : 'seq' in where
            ? // The cursor just past the event with that seq (or the first after it).
              Math.min(total, countBelow(total, (i) => log.events[i]!.seq < where.seq) + 1)
            : // Just past the failure, or where the search began when there is none.
              Math.min(total, failure === undefined ? where.from : failure + 1);
    const start = Math.max(0, Math.min(at - Math.floor(size / 2), total - size));
    const end = Math.min(total, start + size);
    const state = start === 0 ? undefined : this.projection.stateAt(start);
    const context =
      state === undefined
        ? { indexes: [], truncated: false }
        : this.context(start, state.entities?.keys() ?? []);
    const lines: string[] = [];
    for (const index of context.indexes) lines.push(this.encode(log.events[index]!));
    for (let i = start; i < end; i++) lines.push(this.encode(log.events[i]!));
    const window: LogWindow = {
      header: {
        total,
        start,
        end,
        context: context.indexes.length,
        truncated: context.truncated,
        base: state === undefined ? null : capturesStateToJson(state),
        firstSeq: log.events[0]?.seq ?? 0,
        lastSeq: log.events[total - 1]?.seq ?? 0,
        firstAt: log.events[0]?.at ?? 0,
        failures: log.failures.length,
        failuresBefore: countBelow(log.failures.length, (i) => log.failures[i]! < start),
        ...(where !== undefined && 'failure' in where ? { failure: failure ?? null } : {}),
        ...(end - start < total ? { overview: this.overview(), choices: this.choices() } : {}),
        size,
      },
      lines,
    };
    if (where === undefined) this.endOf = { length: total, window };
    return window;
  }

  /**
   * The events of the whole log that pass a timeline filter: how many before a position, and
   * a page of them by rank (logMatches.ts). The first query of a filter scans the log;
   * undefined when `gone` says its asker went away meanwhile.
   */
  matches(query: MatchesQuery, gone?: () => boolean): Promise<MatchesAnswer | undefined> {
    this.sync();
    return this.matchesOf.answer(
      query,
      () => new Promise((resolve) => setImmediate(resolve)),
      gone,
    );
  }

  /** The whole log's in-flight series in {@link OVERVIEW_BUCKETS} stretches of time. */
  private overview(): Overview {
    const { log } = this;
    if (this.overviewOf?.length === log.length) return this.overviewOf.overview;
    const events = log.events;
    const t0 = events[0]?.at ?? 0;
    const t1 = Math.max(t0 + 1, events[events.length - 1]?.at ?? 0);
    const max = new Array<number>(OVERVIEW_BUCKETS).fill(0);
    const first = new Array<number>(OVERVIEW_BUCKETS).fill(-1);
    const last = OVERVIEW_BUCKETS - 1;
    // A stretch starts at the count carried in from before it, and keeps its highest.
    let level = 0;
    let reached = -1;
    for (let i = 0; i < events.length; i++) {
      const at = ((events[i]!.at - t0) / (t1 - t0)) * OVERVIEW_BUCKETS;
      const bucket = Math.min(last, Math.floor(at));
      while (reached < bucket) max[++reached] = level;
      if (first[bucket] === -1) first[bucket] = i;
      level = log.inFlight[i]!;
      if (level > max[bucket]!) max[bucket] = level;
    }
    while (reached < last) max[++reached] = level;
    this.overviewOf = { length: log.length, overview: { t0, t1, max, first } };
    return this.overviewOf.overview;
  }

  /**
   * The whole log's names the timeline's filters choose from: the first 1,000 of each kind,
   * none over 500 characters (what the page takes).
   */
  private choices(): Choices {
    const { log } = this;
    if (this.choicesOf?.length === log.length) return this.choicesOf.choices;
    const first = (names: Iterable<string>) =>
      [...new Set(names)]
        .filter((name) => name.length <= LONGEST_CHOICE)
        .sort()
        .slice(0, MOST_CHOICES);
    const choices = {
      types: first(log.types),
      tools: first(log.tools),
      captures: first([...log.generations.values()].map((generation) => generation.key)),
    };
    this.choicesOf = { length: log.length, choices };
    return choices;
  }

  /** The failure event a jump from `from` lands on: the page's `failureFrom`, over the log. */
  private failure({ failure, from }: { failure: 'next' | 'prev'; from: number }) {
    const { failures } = this.log;
    const below = countBelow(failures.length, (i) => failures[i]! < from);
    return failures[failure === 'next' ? below : below - 1];
  }

  private context(
    start: number,
    live: Iterable<string>,
  ): { indexes: number[]; truncated: boolean } {
    const { log } = this;
    const picked = new Set<number>();
    /** Every event of an entity before the window: the page reads it as the whole log does. */
    const pickEntity = (id: string | undefined): void => {
      for (const index of (id === undefined ? undefined : log.entities.get(id))?.events ?? []) {
        if (index >= start) break;
        picked.add(index);
      }
    };
    for (const generation of log.generations.values()) {
      if (generation.begun >= start) continue;
      picked.add(generation.begun);
      // Its last activity (the idle countdown's start), with the entity it belongs to.
      const before = countBelow(generation.activity.length, (i) => generation.activity[i]! < start);
      if (before > 0) pickEntity(log.events[generation.activity[before - 1]!]!.id);
    }
    for (const id of live) pickEntity(id);
    const always = countBelow(this.always.length, (i) => this.always[i]! < start);
    for (let i = 0; i < always; i++) picked.add(this.always[i]!);
    const indexes = [...picked].sort((a, b) => a - b);
    const truncated = indexes.length > this.maxContext;
    return { indexes: truncated ? indexes.slice(-this.maxContext) : indexes, truncated };
  }
}

/** The kept history whole, as one window: a live tracker's or a feed's log, which is bounded. */
export function wholeWindow(feed: EventFeed): LogWindow {
  const lines: string[] = [];
  let firstSeq = 0;
  let lastSeq = 0;
  let firstAt = 0;
  for (const event of feed.history(0)) {
    if (firstSeq === 0) firstAt = event.at;
    firstSeq ||= event.seq;
    lastSeq = event.seq;
    lines.push(encodeOnce(event));
  }
  return {
    header: {
      total: lines.length,
      start: 0,
      end: lines.length,
      context: 0,
      truncated: false,
      base: null,
      firstSeq,
      lastSeq,
      firstAt,
      // A whole log's failures are counted by the page, which holds them all.
      failures: 0,
      failuresBefore: 0,
    },
    lines,
  };
}

/** A body of a header line and event lines: a window, or the rows of `/matches`. */
interface Chunked {
  readonly header: object;
  readonly lines: readonly string[];
}

/** Lines per chunk of a `/window` body: a few tens of KB, well below V8's large-object size. */
const CHUNK_LINES = 200;

/**
 * A window as the `/window` body, in chunks: the header's JSON line, then one line per event.
 * Chunks rather than one string: a string of a window's size is a large object, and one per
 * request made the server's garbage collector look through its whole heap often.
 */
export function* windowChunks({ header, lines }: Chunked): Generator<string> {
  yield `${JSON.stringify(header)}\n`;
  for (let i = 0; i < lines.length; i += CHUNK_LINES)
    yield `${lines.slice(i, i + CHUNK_LINES).join('\n')}\n`;
}

/** A window's whole body as one string (`windowChunks` joined). */
export const windowBody = (window: Chunked): string => [...windowChunks(window)].join('');

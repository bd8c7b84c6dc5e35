// @internal The page's side of `/window`: which part of the server's log the page holds, read
// from the answer's header, and the page's log and projection filled from it.
import { decodeEvent } from '../../events/codec.js';
import type { ToolflightEvent } from '../../events/types.js';
import type { CapturesState } from '../../projections/captureRecords.js';
import { capturesStateFromJson, type CapturesJson } from '../../projections/capturesJson.js';
import type { EventLog } from './eventLog.js';
import type { ProjectionCursor } from './projectionCursor.js';

/** The first line of a `/window` answer; the event lines follow, `context` of them first. */
export interface WindowHeader {
  /** Events in the log (the server's, kept). */
  readonly total: number;
  /** The log's index of the window's first event, and of the one after its last. */
  readonly start: number;
  readonly end: number;
  /** How many earlier events come before the window's own (the server's `LogWindows.window`). */
  readonly context: number;
  /** Fewer context events were sent than there are (`maxContext`). */
  readonly truncated: boolean;
  /** The projection after the first `start` events; null at the start of the log. */
  readonly base: CapturesJson | null;
  /** The seq of the log's first and last events (0 for an empty log). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The `at` of the log's first event (0 for an empty log): where the page's times count from. */
  readonly firstAt: number;
  /** Failure events in the log (`EventLog.failures`), and how many are before the window. */
  readonly failures: number;
  readonly failuresBefore: number;
  /** Asked with `failure`: the log's index of the failure found, null when there is none. */
  readonly failure?: number | null;
  /** The whole log's in-flight series, for the chart (a window of a longer log only). */
  readonly overview?: Overview;
  /** The whole log's event types, tools and capture keys, for the filters (with `overview`). */
  readonly choices?: Choices;
  /**
   * Events in the server's windows (`windowEvents`): a recording's; absent when the server
   * sends its kept history whole (a live tracker's, a feed's), which the page then keeps.
   */
  readonly size?: number;
}

/**
 * The whole log's in flight over time, in equal stretches of time from `t0` to `t1`: the
 * highest count in each, and the log's index of its first event (-1 for a stretch without one).
 */
export interface Overview {
  readonly t0: number;
  readonly t1: number;
  readonly max: readonly number[];
  readonly first: readonly number[];
}

/** What the timeline's filters can choose from: the whole log's names, sorted. */
export interface Choices {
  readonly types: readonly string[];
  readonly tools: readonly string[];
  readonly captures: readonly string[];
}

/** The most names of each kind a window's choices carry, and the longest name. */
export const MOST_CHOICES = 1000;
export const LONGEST_CHOICE = 500;

function isChoices(value: unknown): value is Choices {
  const names = (list: unknown) =>
    Array.isArray(list) &&
    list.length <= MOST_CHOICES &&
    list.every((name) => typeof name === 'string' && name.length <= LONGEST_CHOICE);
  const { types, tools, captures } = (value ?? {}) as Partial<Choices>;
  return names(types) && names(tools) && names(captures);
}

/**
 * Where a window is wanted: around a position of the log, around the event with a seq, or
 * around the next or previous failure from a position; the log's end when undefined.
 */
export type WindowAt =
  | { readonly at: number }
  | { readonly seq: number }
  | { readonly failure: 'next' | 'prev'; readonly from: number }
  | undefined;

/** Where the page's log sits in the server's: positions are the server log's, counts local. */
export interface Span {
  /** The server log's index of the window's first event. */
  readonly start: number;
  /** The earlier events before the window's own in the page's log. */
  readonly context: number;
  /** Events in the server's log (it grows while live). */
  total: number;
  /** The seq of the server log's last event. */
  lastSeq: number;
  /** The window ends where the server's log does: live events are appended to it. */
  atEnd: boolean;
  /** Failure events of the server's log before the window, and after it (while not at the end). */
  readonly failuresBefore: number;
  failuresAfter: number;
  /** The whole log's in-flight series (a window of a longer log). */
  readonly overview?: Overview;
  /** The whole log's names for the filters (a window of a longer log). */
  readonly choices?: Choices;
  /** The server's window size, when it cuts windows (the header's `size`). */
  readonly size?: number;
}

/** A whole log held by the page: a recording dropped on it, or before any window came. */
export const wholeSpan = (length: number, lastSeq: number): Span => ({
  start: 0,
  context: 0,
  total: length,
  lastSeq,
  atEnd: true,
  failuresBefore: 0,
  failuresAfter: 0,
});

/** Thrown for a `/window` answer the page cannot read. */
export class WindowError extends Error {
  override readonly name = 'WindowError';
}

/** A whole number of at least 0: a count or an index in an answer's header. */
export const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The server sends 1,024 stretches; a page draws no more than a few thousand. */
const OVERVIEW_MOST = 4096;

/** Whether `value` is an {@link Overview} of a log of `total` events. */
function isOverview(value: unknown, total: number): value is Overview {
  const { t0, t1, max, first } = (value ?? {}) as Partial<Overview>;
  return (
    Number.isFinite(t0) &&
    Number.isFinite(t1) &&
    t1! > t0! &&
    Array.isArray(max) &&
    Array.isArray(first) &&
    max.length > 0 &&
    max.length <= OVERVIEW_MOST &&
    first.length === max.length &&
    max.every(isCount) &&
    first.every((index) => index === -1 || (isCount(index) && index < total))
  );
}

/** A `/window` answer, read and checked: nothing of it is taken until all of it is good. */
export interface ServerWindow {
  readonly header: WindowHeader;
  readonly events: ToolflightEvent[];
  /** The header's base, ready to fold on (undefined at the log's start). */
  readonly base: CapturesState | undefined;
}

/**
 * The header, events and base of a `/window` body; throws {@link WindowError} when it is not
 * one (a header that does not describe a part of the log, fewer or more events than it says,
 * events that do not ascend by seq, a base that is not a projection).
 */
export function readWindow(body: string): ServerWindow {
  const lines = body.split('\n');
  let header: WindowHeader;
  try {
    header = JSON.parse(lines[0] ?? '') as WindowHeader;
  } catch {
    throw new WindowError('the window has no header line');
  }
  const { total, start, end, context, failures, failuresBefore, lastSeq, firstAt } = (header ??
    {}) as Partial<WindowHeader>;
  if (
    !isCount(total) ||
    !isCount(start) ||
    !isCount(end) ||
    !isCount(context) ||
    !isCount(failures) ||
    !isCount(failuresBefore) ||
    !isCount(lastSeq) ||
    typeof firstAt !== 'number' ||
    start > end ||
    end > total ||
    (start === 0 && context > 0)
  ) {
    throw new WindowError('the window header does not describe a part of the log');
  }
  if (header.overview !== undefined && !isOverview(header.overview, total))
    throw new WindowError('the window header has an overview that is not one');
  if (header.choices !== undefined && !isChoices(header.choices))
    throw new WindowError('the window header has choices that are not lists of names');
  if (header.size !== undefined && !(isCount(header.size) && header.size > 0))
    throw new WindowError('the window header has a size that is not a count of events');
  const events: ToolflightEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line !== '') events.push(decodeEvent(line, { source: 'window', line: i + 1 }));
  }
  if (events.length !== context + end - start)
    throw new WindowError(
      `the window promised ${context + end - start} events and holds ${events.length}`,
    );
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.seq <= events[i - 1]!.seq)
      throw new WindowError('the window repeats a seq or goes back: its events must ascend');
  }
  let base: CapturesState | undefined;
  try {
    base = header.base === null ? undefined : capturesStateFromJson(header.base);
  } catch (error) {
    throw new WindowError(`the window's base is not a projection: ${(error as Error).message}`);
  }
  return { header, events, base };
}

/**
 * Replace the page's log with a window: its context, then its events; the projection folds
 * from the header's base after the context. Returns where the page's log now sits.
 */
export function holdWindow(
  log: EventLog,
  projection: ProjectionCursor,
  { header, events, base }: ServerWindow,
): Span {
  log.clear();
  for (const event of events) log.append(event);
  log.context = header.context;
  log.origin = header.firstAt;
  if (base === undefined) projection.reset();
  else projection.reset(base, header.context);
  const own = log.failures.filter((index) => index >= header.context).length;
  return {
    start: header.start,
    context: header.context,
    total: header.total,
    lastSeq: header.lastSeq,
    atEnd: header.end === header.total,
    failuresBefore: header.failuresBefore,
    // A whole log's window does not count them (0): the page holds them all.
    failuresAfter: Math.max(0, header.failures - header.failuresBefore - own),
    ...(header.overview ? { overview: header.overview } : {}),
    ...(header.choices ? { choices: header.choices } : {}),
    ...(header.size ? { size: header.size } : {}),
  };
}

/** The server log's position of a count of the page's log, and back (clamped to the window). */
export const globalOf = (span: Span, count: number): number =>
  span.start + Math.max(0, count - span.context);
export const localOf = (span: Span, log: EventLog, position: number): number | undefined => {
  const count = position - span.start + span.context;
  return count >= span.context && count <= log.length ? count : undefined;
};

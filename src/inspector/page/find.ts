/// <reference lib="dom" />
// @internal Finding things in the timeline: the outcome and duration controls (their matching
// is filterMatches.ts), jumps to the next or previous failure, and the filters' permalink.
import { byId, countBelow } from './dom.js';
import type { EventLog } from './eventLog.js';
import { OUTCOMES } from './filterMatches.js';
import { globalOf, type Choices, type Span } from './logWindow.js';
import type { TimelineFilter } from './timelineFilter.js';

/** The find controls of the timeline's filter bar (layout.ts `#filters`). */
export const FIND_CONTROLS = `
      <select id="filter-outcome"><option value="">every outcome</option>${OUTCOMES.map(
        (o) => `<option value="${o}">${o === 'failure' ? 'any failure' : o}</option>`,
      ).join('')}</select>
      <label>slower than <input id="filter-slower" type="number" min="0" step="100" style="flex:0 0 80px;min-width:0"> ms</label>
      <button id="prev-failure" title="previous failure (N)">◀ failure</button>
      <button id="next-failure" title="next failure (n)">next failure ▶</button>
      <span id="find-status"></span>`;

/** Where a failure jump starts: the selected event and the cursor, counts of the page's log. */
export interface JumpFrom {
  readonly selected: number | undefined;
  readonly cursor: number;
}

/**
 * Where a jump looks from: the selected event while it is shown (before the cursor), else the
 * cursor (after a scrub away from the selection, or with none). Next looks at the failures from
 * there on, previous at those before it.
 */
function jumpStart(from: JumpFrom, next: boolean): number {
  const shown = from.selected !== undefined && from.selected < from.cursor;
  if (!shown) return from.cursor;
  return next ? from.selected + 1 : from.selected;
}

/**
 * The failure event of the page's log to jump to from `from`: the first one after its start or
 * the last one before it, never one of a window's context. A binary search over `log.failures`.
 */
export function failureFrom(log: EventLog, from: JumpFrom, next: boolean): number | undefined {
  const { failures } = log;
  const below = countBelow(failures.length, (i) => failures[i]! < jumpStart(from, next));
  const found = failures[next ? below : below - 1];
  return found !== undefined && found >= log.context ? found : undefined;
}

/** What the failure buttons need of the page. */
export interface FailureJumps {
  readonly from: () => JumpFrom;
  /** Where the page's log sits in the server's, with the failures it does not hold. */
  readonly span: () => Span;
  /** Move the view to a failure of the page's log and select it. */
  readonly go: (index: number) => void;
  /**
   * Ask the server for the window around the failure from a position of its log on (`next`)
   * or before it; `found` gets the failure's index in the page's log once that window is held,
   * or undefined when the log has none there.
   */
  readonly beyond: (
    next: boolean,
    from: number,
    found: (index: number | undefined) => void,
  ) => void;
}

/** "failure k of n", over the server's log. */
function failureStatus(log: EventLog, span: Span, index: number): string {
  const { failures } = log;
  const context = countBelow(failures.length, (i) => failures[i]! < log.context);
  const rank = countBelow(failures.length, (i) => failures[i]! < index) - context;
  const total = span.failuresBefore + failures.length - context + span.failuresAfter;
  return `failure ${span.failuresBefore + rank + 1} of ${total}`;
}

/**
 * Wire the failure buttons. A jump goes to a failure of the window held, else asks the server
 * for the window around the next one. At either end a jump moves nothing (no wrap-around)
 * and says so in `#find-status`.
 */
export function wireFailureJumps(log: EventLog, page: FailureJumps): void {
  const status = byId('find-status');
  const none = (next: boolean) =>
    (status.textContent = next ? 'no failure after this' : 'no failure before this');
  const land = (index: number) => {
    status.textContent = failureStatus(log, page.span(), index);
    page.go(index);
  };
  const jump = (next: boolean) => {
    const from = page.from();
    const at = failureFrom(log, from, next);
    if (at !== undefined) return land(at);
    const span = page.span();
    const held = log.length - span.context;
    const more = next ? span.start + held < span.total : span.start > 0;
    if (!more) return none(next);
    status.textContent = 'looking…';
    const start = Math.max(jumpStart(from, next), log.context);
    page.beyond(next, globalOf(span, start), (index) =>
      index === undefined ? none(next) : land(index),
    );
  };
  byId('next-failure').addEventListener('click', () => jump(true));
  byId('prev-failure').addEventListener('click', () => jump(false));
}

/** The permalink's filter parameters, the control each restores, the filter key it sets. */
const PARAMS = [
  ['outcome', 'filter-outcome', 'outcome'],
  ['tool', 'filter-tool', 'tool'],
  ['slower', 'filter-slower', 'slower'],
  ['type', 'filter-type', 'type'],
  ['capture', 'filter-capture', 'capture'],
  ['q', 'search', 'search'],
] as const;
/** A longer value is not one the page wrote: it is ignored. */
const MAX_VALUE = 500;

/** The filters as fragment parameters (empty ones omitted). */
export function writeFindParams(params: URLSearchParams, filter: TimelineFilter): void {
  for (const [name, , key] of PARAMS) if (filter[key] !== '') params.set(name, filter[key]);
}

/**
 * Restore the filters and their controls from fragment parameters: an absent one is cleared,
 * one the page cannot use (an outcome or a type the log does not know, a negative or
 * non-numeric duration, an over-long value) is ignored and the control stays as it was.
 * The selects' options must be filled first. Returns whether a filter changed.
 */
export function readFindParams(
  params: URLSearchParams,
  filter: TimelineFilter,
  log: EventLog,
  /** The whole log's names, over a window of it. */
  whole?: Choices,
): boolean {
  const known: Record<string, (value: string) => boolean> = {
    outcome: (v) => OUTCOMES.includes(v),
    tool: (v) => log.tools.has(v) || whole?.tools.includes(v) === true,
    slower: (v) => /^\d{1,12}$/.test(v),
    type: (v) => log.types.has(v) || whole?.types.includes(v) === true,
    capture: (v) =>
      [...log.generations.values()].some((g) => g.key === v) ||
      whole?.captures.includes(v) === true,
    q: () => true,
  };
  let changed = false;
  for (const [name, id, key] of PARAMS) {
    const value = params.get(name) ?? '';
    if (value.length > MAX_VALUE || (value !== '' && !known[name]!(value))) continue;
    if (filter[key] === value) continue;
    filter[key] = value;
    byId<HTMLInputElement>(id).value = value;
    changed = true;
  }
  if (changed) byId('find-status').textContent = '';
  return changed;
}

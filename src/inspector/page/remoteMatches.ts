/// <reference lib="dom" />
// @internal The timeline's filters over the server's whole log, for a page that holds a window
// of it (`/matches`, logMatches.ts): how many events pass before the cursor, and the rows by
// rank, asked for a page at a time as the list shows them.
import { decodeEvent } from '../../events/codec.js';
import type { ToolflightEvent } from '../../events/types.js';
import { isCount } from './logWindow.js';
import type { TimelineFilter } from './timelineFilter.js';

/** The first line of a `/matches` answer; one event line follows per index. */
export interface MatchesHeader {
  /** Events of the whole log that pass the filter. */
  readonly total: number;
  /** Of them, those among the log's first `before` events. */
  readonly below: number;
  readonly before: number;
  /** The rank of the first row sent. */
  readonly from: number;
  /**
   * The scan the ranks are of: a followed log whose new events change earlier verdicts (an
   * entity settles) is scanned again, and the rows held of an earlier one are dropped.
   */
  readonly generation: number;
  /** The server log's index of each row sent. */
  readonly indexes: readonly number[];
}

/** A row of the filtered timeline: an event of the server's log and its index there. */
export interface MatchRow {
  readonly index: number;
  readonly event: ToolflightEvent;
}

/** Thrown for a `/matches` answer the page cannot read. */
export class MatchesError extends Error {
  override readonly name = 'MatchesError';
}

/** A `/matches` body, read and checked: a header that adds up, and one event per index. */
export function readMatches(body: string): { header: MatchesHeader; rows: MatchRow[] } {
  const lines = body.split('\n');
  let header: MatchesHeader;
  try {
    header = JSON.parse(lines[0] ?? '') as MatchesHeader;
  } catch {
    throw new MatchesError('the matches have no header line');
  }
  const { total, below, before, from, generation, indexes } = (header ??
    {}) as Partial<MatchesHeader>;
  if (
    !isCount(total) ||
    !isCount(below) ||
    !isCount(before) ||
    !isCount(from) ||
    !isCount(generation) ||
    below > total ||
    !Array.isArray(indexes) ||
    !indexes.every(isCount) ||
    (indexes.length > 0 && from + indexes.length > total)
  ) {
    throw new MatchesError('the matches header does not describe matches of the log');
  }
  const events = lines.slice(1).filter((line) => line !== '');
  if (events.length !== indexes.length)
    throw new MatchesError(`the answer promised ${indexes.length} rows and holds ${events.length}`);
  const rows = events.map((line, i) => ({
    index: indexes[i]!,
    event: decodeEvent(line, { source: 'matches', line: i + 2 }),
  }));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.index <= rows[i - 1]!.index)
      throw new MatchesError('the rows go back: their indexes must ascend');
  }
  return { header, rows };
}

/** The filter as `/matches`' parameters: the permalink's names, empty ones left out. */
export function matchesParams(filter: Readonly<TimelineFilter>): URLSearchParams {
  const params = new URLSearchParams();
  const names = [
    ['type', filter.type],
    ['capture', filter.capture],
    ['tool', filter.tool],
    ['q', filter.search],
    ['host', filter.host],
    ['outcome', filter.outcome],
    ['slower', filter.slower],
  ] as const;
  for (const [name, value] of names) if (value !== '') params.set(name, value);
  return params;
}

/** Rows asked for at once: a few screens of the timeline. */
const PAGE = 200;
/** Rows held at most: a list scrolled through a million matches keeps the last pages. */
const MOST_ROWS = 10_000;

/**
 * One filter's matches over the server's log, as far as the server has said: the count
 * before a position, and the rows of the ranks the list showed. One request at a time; a
 * new filter or position is asked for once the last answer came.
 */
export class RemoteMatches {
  /** The filter's parameters the count and rows are of. */
  private key = '';
  private generation = -1;
  private readonly rows = new Map<number, MatchRow>();
  /** The position the count is wanted before, and the one it was said for. */
  private before = 0;
  private counted = -1;
  /** The lowest rank the list drew without its row. */
  private needed: number | undefined;
  private busy = false;
  /** Drops the request out. */
  private abort: AbortController | undefined;
  /** A send is due once the list drew. */
  private soon = false;
  /** The query answered last, not asked again (an answer without a row the list needs). */
  private answered = '';
  /** Matches before `counted`; undefined until the server says. */
  below: number | undefined;
  /** Why the last request failed, for the timeline's count. */
  error: string | undefined;

  constructor(
    private readonly token: string,
    /** An answer came: the timeline draws again. */
    private readonly onChange: () => void,
  ) {}

  /** Look for `filter` among the server log's first `before` events. */
  look(filter: Readonly<TimelineFilter>, before: number): void {
    const key = matchesParams(filter).toString();
    if (key !== this.key) {
      // The last filter's request is dropped: the server stops its scan (a search being typed).
      this.abort?.abort();
      this.key = key;
      this.rows.clear();
      this.generation = -1;
      this.counted = -1;
      this.below = this.error = undefined;
    }
    this.before = before;
    this.needed = undefined;
  }

  /**
   * The row of rank `rank` when held; else it is asked for once the list drew (a scroll draws
   * rows without the timeline's render, which sends too).
   */
  row(rank: number): MatchRow | undefined {
    const row = this.rows.get(rank);
    if (row) return row;
    if (this.needed === undefined || rank < this.needed) this.needed = rank;
    if (!this.soon) {
      this.soon = true;
      queueMicrotask(() => {
        this.soon = false;
        this.send();
      });
    }
    return undefined;
  }

  /** The rank of the row of the server log's `index`, among the rows held. */
  rankOf(index: number): number | undefined {
    for (const [rank, row] of this.rows) if (row.index === index) return rank;
    return undefined;
  }

  /** Ask for the count and the rows the last `look` and `row`s need, unless a request is out. */
  send(): void {
    if (this.busy || this.key === '') return;
    const rows = this.needed === undefined ? 0 : PAGE;
    const from = this.needed === undefined ? 0 : Math.floor(this.needed / PAGE) * PAGE;
    if (this.counted === this.before && rows === 0) return;
    const params = new URLSearchParams(this.key);
    params.set('before', String(this.before));
    params.set('from', String(from));
    params.set('count', String(rows));
    const query = params.toString();
    if (query === this.answered) return;
    params.set('token', this.token);
    const key = this.key;
    this.busy = true;
    const abort = (this.abort = new AbortController());
    void fetch(`/matches?${params.toString()}`, { signal: abort.signal })
      .then(async (response) => {
        const body = await response.text();
        if (!response.ok) throw new MatchesError(body.slice(0, 200));
        return readMatches(body);
      })
      .then(({ header, rows: answered }) => {
        if (key !== this.key) return;
        if (header.generation !== this.generation || this.rows.size > MOST_ROWS) {
          this.rows.clear();
          this.generation = header.generation;
        }
        answered.forEach((row, i) => this.rows.set(header.from + i, row));
        this.below = header.below;
        this.counted = header.before;
        this.error = undefined;
        this.answered = query;
      })
      .catch((error: unknown) => {
        if (key !== this.key) return;
        this.error = `the server could not filter the log: ${(error as Error).message}`;
        this.answered = query;
      })
      .finally(() => {
        this.busy = false;
        if (this.abort === abort) this.abort = undefined;
        this.onChange();
      });
  }
}

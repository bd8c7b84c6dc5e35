// @internal `/matches`: the timeline's filters over a whole recording, for a page that holds a
// window of it. The page asks how many events pass its filter before its cursor and for a
// page of them by rank; the server scans its log once per filter and keeps the verdicts.
import { maskSecrets } from '../events/maskSecrets.js';
import type { Encode } from './encodedEvents.js';
import { countBelow } from './page/countBelow.js';
import type { EventLog } from './page/eventLog.js';
import { FilterMatches, OUTCOMES } from './page/filterMatches.js';
import type { MatchesHeader } from './page/remoteMatches.js';
import { noFilter, type TimelineFilter } from './page/timelineFilter.js';

/** Rows one answer carries at most: a few screens of the timeline. */
export const MAX_MATCH_ROWS = 500;
/** A filter value longer than this is not one a page sends. */
const MAX_VALUE = 500;
/** Filters whose verdicts are kept: a page or two changing its filter. */
const KEPT_FILTERS = 4;
/** Events looked at between two turns of the event loop: a search of 1M takes about 2 s. */
const SLICE = 20_000;

/** The query's filter parameters (the permalink's names) and the filter key each sets. */
const FILTER_PARAMS = [
  ['type', 'type'],
  ['capture', 'capture'],
  ['tool', 'tool'],
  ['q', 'search'],
  ['host', 'host'],
  ['outcome', 'outcome'],
  ['slower', 'slower'],
] as const;
const COUNT_PARAMS = ['before', 'from', 'count'] as const;

/** What a page asks of `/matches`. */
export interface MatchesQuery {
  readonly filter: Readonly<TimelineFilter>;
  /** Count the matches among the log's first `before` events (the page's cursor). */
  readonly before: number;
  /** The rows asked for: the matches of rank `from` on, `count` of them. */
  readonly from: number;
  readonly count: number;
}

/** `/matches`' query, or why not, for a 400. */
export function matchesQuery(params: URLSearchParams): MatchesQuery | string {
  const known = new Set<string>(['token', ...FILTER_PARAMS.map(([n]) => n), ...COUNT_PARAMS]);
  for (const name of params.keys()) {
    if (!known.has(name))
      return `Bad Request: /matches takes ${[...known].slice(1).join(', ')}; not ${JSON.stringify(name.slice(0, 40))}`;
    if (params.getAll(name).length > 1) return `Bad Request: ${name} is given twice`;
  }
  const filter = noFilter();
  for (const [name, key] of FILTER_PARAMS) {
    const value = params.get(name) ?? '';
    if (value.length > MAX_VALUE)
      return `Bad Request: ${name} is longer than ${MAX_VALUE} characters`;
    filter[key] = value;
  }
  if (filter.outcome !== '' && !OUTCOMES.includes(filter.outcome))
    return `Bad Request: outcome must be one of ${OUTCOMES.join(', ')}`;
  if (filter.slower !== '' && !/^\d{1,12}$/.test(filter.slower))
    return 'Bad Request: slower must be a whole number of milliseconds';
  const counts: number[] = [];
  for (const name of COUNT_PARAMS) {
    const text = params.get(name);
    if (text === null && name !== 'count') return `Bad Request: ${name} is needed`;
    const value = text === null ? 0 : Number(text);
    if (text !== null && (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(value)))
      return `Bad Request: ${name} must be a whole number, got ${JSON.stringify(text.slice(0, 40))}`;
    counts.push(value);
  }
  const [before, from, count] = counts as [number, number, number];
  if (count > MAX_MATCH_ROWS)
    return `Bad Request: count is at most ${MAX_MATCH_ROWS} rows, got ${count}`;
  return { filter, before, from, count };
}

/** A `/matches` answer: its header, then the rows' events encoded, one per line. */
export interface MatchesAnswer {
  readonly header: MatchesHeader;
  readonly lines: string[];
}

/** The filter as a key: two queries with the same filter share its verdicts. */
const keyOf = (filter: Readonly<TimelineFilter>): string =>
  JSON.stringify(FILTER_PARAMS.map(([, key]) => filter[key]));

/** An event's masked, lower-case JSON, for the search: made each time, not kept for 1M events. */
function searchText(log: EventLog, index: number): string {
  const event = log.events[index]!;
  return JSON.stringify(
    event.data === undefined ? event : { ...event, data: maskSecrets(event.data) },
  ).toLowerCase();
}

/**
 * The matches of a few filters over a log, scanned when first asked for and kept up as the
 * log grows; the least recently asked filter is forgotten first.
 */
export class LogMatches {
  private readonly kept = new Map<string, FilterMatches>();

  constructor(
    private readonly log: EventLog,
    /** How a row is encoded (`LogWindows`' encoding). */
    private readonly encode: Encode,
  ) {}

  /**
   * Answer a query once its filter's matches cover the log: a scan of a million events yields
   * to the event loop every {@link SLICE} events, so that other requests go on meanwhile.
   * Undefined once `gone` says nobody waits any more (a page typing a search drops the query
   * of each letter for the next): the scan stops there, and a later query of the same filter
   * goes on from where it stopped.
   */
  async answer(
    query: MatchesQuery,
    yieldTurn: () => Promise<void>,
    gone: () => boolean = () => false,
  ): Promise<MatchesAnswer | undefined> {
    const key = keyOf(query.filter);
    let matches = this.kept.get(key);
    if (matches) this.kept.delete(key);
    else matches = new FilterMatches(this.log, { ...query.filter }, (i) => searchText(this.log, i));
    this.kept.set(key, matches);
    if (this.kept.size > KEPT_FILTERS) this.kept.delete(this.kept.keys().next().value!);
    while (!matches.update(SLICE)) {
      await yieldTurn();
      if (gone()) return undefined;
    }
    const { indexes } = matches;
    const below = countBelow(indexes.length, (i) => indexes[i]! < query.before);
    const rows = indexes.slice(query.from, query.from + query.count);
    return {
      header: {
        total: indexes.length,
        below,
        before: query.before,
        from: query.from,
        generation: matches.generation,
        indexes: rows,
      },
      lines: rows.map((index) => this.encode(this.log.events[index]!)),
    };
  }
}

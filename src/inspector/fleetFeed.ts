import { labelEvent } from '../events/labelEvent.js';
import type { ToolflightEvent } from '../events/types.js';
import type { Logger } from '../logger.js';
import { InspectorError } from './InspectorError.js';
import type { InspectorFeed } from './InspectorFeed.js';

/** Events a fleet feed keeps by default before it drops the oldest. */
export const FLEET_MAX_EVENTS = 100_000;

/** Options of {@link fleetFeed}. */
export interface FleetFeedOptions {
  /**
   * How many merged events are kept (default {@link FLEET_MAX_EVENTS}): beyond it the oldest
   * are dropped, like a bounded tracker store. A page that connects later is told where the kept
   * history starts (its "no longer keeps the events up to seq N" banner) and folds from there.
   */
  readonly maxEvents?: number;
  /** Told when a subscriber threw (the event is kept, and the other subscribers get it). */
  readonly logger?: Logger;
}

/** One source of a fleet: a host's log, under the label its names carry in the merged log. */
export interface FleetSource {
  /** `host` for a host's first log, `host#2`, `host#3` for the next ones, in the order seen. */
  readonly label: string;
  readonly host: string;
  readonly log: string;
  /** The source's own seq of its last event pushed. */
  readonly lastSeq: number;
  /** How many of its events were pushed. */
  readonly events: number;
  /** Source seqs skipped between pushed events (0 for a whole log). */
  readonly missing: number;
}

/** A merged log of several hosts' logs, as an inspector shows it (`createInspector({ feed })`). */
export interface FleetFeed extends InspectorFeed {
  /**
   * Add a source's next event: renamed apart (`labelEvent`: `host-a/run-1`, `host-a/tc_1`), its
   * generation renumbered apart (every host's first key is gen 1), given the next merged seq,
   * kept and sent to subscribers. Returns the merged event. Throws `InspectorError`
   * `out_of_order` for a seq at or below the source's last one (a duplicate or a reordered
   * delivery), `invalid_event` for a bad host, log or seq; a refused event changes nothing.
   */
  readonly push: (host: string, log: string, event: ToolflightEvent) => ToolflightEvent;
  /** Every source seen, in the order first seen. */
  readonly sources: () => readonly FleetSource[];
  /** How many of the oldest merged events were dropped at `maxEvents`. */
  readonly dropped: () => number;
}

interface SourceState {
  label: string;
  host: string;
  log: string;
  lastSeq: number;
  events: number;
  missing: number;
  /** The source's generation -> the merged log's. */
  readonly gens: Map<number, number>;
}

/**
 * A fleet's logs merged into one, for the inspector's fleet view: push each host's events as
 * they come (from a NATS reader, files, a test), in seq order per source, any order between
 * sources; the merged log's seq is gapless from 1 in the order events were pushed.
 *
 * @example
 * const feed = fleetFeed();
 * const inspector = await createInspector({ feed, title: 'fleet', fleet: true });
 * for await (const { host, log, event } of reader) feed.push(host, log, event);
 */
export function fleetFeed(options: FleetFeedOptions = {}): FleetFeed {
  const maxEvents = options.maxEvents ?? FLEET_MAX_EVENTS;
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) {
    throw new InspectorError(
      'invalid_option',
      `fleetFeed: maxEvents must be a whole number of at least 1, got ${String(maxEvents)}`,
    );
  }
  const sources = new Map<string, SourceState>();
  const perHost = new Map<string, number>();
  const listeners = new Set<(event: ToolflightEvent) => void>();
  // Kept events are `events[head..]`; the dropped prefix is cut off once it is as long as the cap.
  let events: ToolflightEvent[] = [];
  let head = 0;
  let seq = 0;
  let gens = 0;

  const sourceOf = (host: string, log: string): SourceState | undefined =>
    sources.get(`${host}\n${log}`);

  const check = (host: string, log: string, event: ToolflightEvent): void => {
    const refuse = (what: string) => {
      throw new InspectorError('invalid_event', `fleetFeed: ${what}; the event was not added`);
    };
    if (typeof host !== 'string' || host === '' || /[/#\n]/.test(host))
      refuse(
        `host must be a non-empty name without "/", "#" or a newline, got ${JSON.stringify(host)}`,
      );
    if (typeof log !== 'string' || log === '' || log.includes('\n'))
      refuse(`log must be a non-empty name without a newline, got ${JSON.stringify(log)}`);
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string')
      refuse(`an event of ${host} has no type`);
    if (!Number.isSafeInteger(event.seq) || event.seq < 1)
      refuse(`an event of ${host} has seq ${JSON.stringify(event.seq)}, not a whole number from 1`);
    const last = sourceOf(host, log)?.lastSeq ?? 0;
    if (event.seq <= last) {
      throw new InspectorError(
        'out_of_order',
        `fleetFeed: ${host} log ${log} sent seq ${event.seq} after seq ${last}: a source's events must come in seq order (a duplicate or a reordered delivery); the event was not added`,
      );
    }
  };

  const mergedGen = (source: SourceState, gen: number): number => {
    let merged = source.gens.get(gen);
    if (merged === undefined) {
      merged = ++gens;
      source.gens.set(gen, merged);
    }
    return merged;
  };

  const keep = (event: ToolflightEvent): void => {
    events.push(event);
    if (events.length - head > maxEvents) head += 1;
    if (head >= maxEvents) {
      events = events.slice(head);
      head = 0;
    }
  };

  function* history(afterSeq: number): Generator<ToolflightEvent> {
    // By seq, not by index: the kept range may move (dropped, cut) while a stream reads it.
    for (let next = afterSeq + 1; ; next++) {
      const first = events[head]?.seq;
      if (first === undefined) return;
      if (next < first) next = first;
      const event = events[head + (next - first)];
      if (event === undefined) return;
      yield event;
    }
  }

  return {
    push(host, log, event) {
      check(host, log, event);
      let source = sourceOf(host, log);
      if (!source) {
        const nth = (perHost.get(host) ?? 0) + 1;
        perHost.set(host, nth);
        source = {
          label: nth === 1 ? host : `${host}#${nth}`,
          host,
          log,
          lastSeq: 0,
          events: 0,
          missing: 0,
          gens: new Map(),
        };
        sources.set(`${host}\n${log}`, source);
      }
      // The first event of a source may come after others were dropped by its own store.
      if (source.events > 0) source.missing += event.seq - source.lastSeq - 1;
      source.lastSeq = event.seq;
      source.events += 1;
      const labelled = labelEvent(event, source.label, ++seq);
      const merged =
        labelled.gen === undefined
          ? labelled
          : { ...labelled, gen: mergedGen(source, labelled.gen) };
      keep(merged);
      for (const listener of listeners) {
        try {
          listener(merged);
        } catch (error) {
          options.logger?.warn(`fleetFeed: a subscriber threw: ${String(error)}`);
        }
      }
      return merged;
    },
    sources: () =>
      [...sources.values()].map(({ label, host, log, lastSeq, events: count, missing }) => ({
        label,
        host,
        log,
        lastSeq,
        events: count,
        missing,
      })),
    dropped: () => seq - (events.length - head),
    history,
    lastSeq: () => seq,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => listeners.clear(),
  };
}

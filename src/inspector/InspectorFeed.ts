import type { ToolflightEvent } from '../events/types.js';

/**
 * Events the inspector shows that come from elsewhere (`createInspector({ feed })`): the kept
 * history by seq, then every event appended later. Seq must be gapless and increasing from the
 * first kept event, as in a tracker's log; {@link fleetFeed} builds one from several hosts.
 *
 * @example
 * const feed: InspectorFeed = {
 *   history: (afterSeq) => events.filter((event) => event.seq > afterSeq),
 *   lastSeq: () => events.at(-1)?.seq ?? 0,
 *   subscribe: (listener) => { listeners.add(listener); return () => listeners.delete(listener); },
 *   close: () => listeners.clear(),
 * };
 */
export interface InspectorFeed {
  /** The kept events with `seq > afterSeq`, in seq order. */
  readonly history: (afterSeq: number) => Iterable<ToolflightEvent>;
  /** The seq of the last event kept, 0 when none. */
  readonly lastSeq: () => number;
  /** Every event appended from now on; returns the unsubscribe function. */
  readonly subscribe: (listener: (event: ToolflightEvent) => void) => () => void;
  /** The inspector closed: stop notifying. */
  readonly close: () => void;
}

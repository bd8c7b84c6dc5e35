import type { ToolflightEvent } from '../events/types.js';

/**
 * Where a log lives: memory, a JSONL recording, an SQLite file.
 *
 * `append` is synchronous and called in seq order on the tracker's path: when it returns, the
 * event is kept (as far as the store promises). When it throws, it must have kept nothing of
 * the event (no half line); the tracker holds the event and offers it again, in order, with
 * the ones after it, or writes a `log.gap` in their place once it has held too many.
 */
export interface EventStore {
  /** Keep one event. */
  readonly append: (event: ToolflightEvent) => void;
  /** The kept events with `seq >= fromSeq` (default: all kept), in seq order. */
  readonly read: (fromSeq?: number) => Iterable<ToolflightEvent>;
  /** The seq of the last event kept, 0 when empty. */
  readonly lastSeq: () => number;
  /** Called after each append made in this process; returns the unsubscribe function. */
  readonly subscribe: (listener: (event: ToolflightEvent) => void) => () => void;
  /** Release files and handles; appending afterwards throws. */
  readonly close: () => void;
}

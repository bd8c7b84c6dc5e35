import type { ToolflightEvent } from '../events/types.js';
import type { EventSink } from '../tracker/Tracker.js';

/** An event sink that keeps every event in memory, in seq order. */
export interface MemoryStore extends EventSink {
  /** Every event appended so far. */
  readonly events: readonly ToolflightEvent[];
  /** The events with `seq >= fromSeq`. */
  read: (fromSeq?: number) => readonly ToolflightEvent[];
}

/**
 * Keep a tracker's whole log in memory: for tests, recordings and short runs.
 *
 * It grows with every event; a long-running host that only needs the live projections passes no
 * store at all.
 */
export function createMemoryStore(): MemoryStore {
  const events: ToolflightEvent[] = [];
  return {
    events,
    append(event) {
      events.push(event);
    },
    read(fromSeq = 1) {
      // seq is gapless from the first event, so the index is arithmetic.
      const first = events[0]?.seq ?? 1;
      return events.slice(Math.max(0, fromSeq - first));
    },
  };
}

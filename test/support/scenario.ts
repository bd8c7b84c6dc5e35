import { createMemoryStore, createTracker, type TrackerOptions } from '../../src/index.js';
import type { ToolflightEvent } from '../../src/index.js';

/** A tracker on a hand-moved clock with its whole log kept, for given / when / then tests. */
export function scenario(options: TrackerOptions = {}) {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ clock: () => now, store, ...options });
  return {
    tracker,
    store,
    /** Move the clock (the only time source the tracker has here). */
    advance: (ms: number) => {
      now += ms;
    },
    /** The events a command appended, as `type` or `type id` strings. */
    appendedBy: (command: () => unknown): string[] => {
      const from = store.events().length;
      command();
      return store.events().slice(from).map(describeEvent);
    },
    /** Every event so far, as strings. */
    log: (): string[] => {
      return store.events().map(describeEvent);
    },
  };
}

/** `toolCall.finished tc_1` style, for compact assertions. */
export function describeEvent(event: ToolflightEvent): string {
  return event.id === undefined ? event.type : `${event.type} ${event.id}`;
}

import { ToolflightError } from '../errors.js';
import type { ToolflightEvent } from '../events/types.js';
import type { EventStore } from './EventStore.js';
import { StoreListeners } from './listeners.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Keep only the newest `retain` events (a ring). Default: keep everything, which grows with
   * every event; a tracker's default store keeps the last 1,000.
   */
  readonly retain?: number;
}

/** An event store in memory; `events()` copies what it keeps. */
export interface MemoryStore extends EventStore {
  /** The kept events, oldest first, as a new array. */
  readonly events: () => ToolflightEvent[];
}

/**
 * Keep a log in memory: for tests, recordings, short runs, and (bounded) a tracker's recent
 * history.
 *
 * @example
 * const store = createMemoryStore();
 * const tracker = createTracker({ store });
 * // … run …
 * writeFileSync('run.jsonl', store.events().map(encodeEvent).join('\n') + '\n');
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const retain = options.retain ?? Infinity;
  if (!(retain >= 1)) {
    throw new ToolflightError('invalid_argument', `retain must be at least 1, got ${retain}`);
  }
  // A ring once full: `start` is the index of the oldest kept event.
  const ring: ToolflightEvent[] = [];
  let start = 0;
  let last = 0;
  let closed = false;
  const listeners = new StoreListeners();

  const events = (): ToolflightEvent[] =>
    start === 0 ? ring.slice() : [...ring.slice(start), ...ring.slice(0, start)];

  return {
    append(event) {
      if (closed) throw new ToolflightError('invalid_argument', 'this memory store is closed');
      if (ring.length < retain) ring.push(event);
      else {
        ring[start] = event;
        start = (start + 1) % ring.length;
      }
      last = event.seq;
      listeners.notify(event);
    },
    read(fromSeq = 1) {
      const kept = events();
      const first = kept[0]?.seq ?? 1;
      // seq is gapless, so the index is arithmetic.
      return kept.slice(Math.max(0, fromSeq - first));
    },
    lastSeq: () => last,
    subscribe: (listener) => listeners.subscribe(listener),
    close() {
      closed = true;
    },
    events,
  };
}

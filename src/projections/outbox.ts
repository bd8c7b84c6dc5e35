// The outbox as the log tells it: which buffered writes are pending, which were delivered and
// which were rejected for good, folded from `outbox.*` events. Pure: hosts, replay and the
// inspector page run the same fold.
import { defer, filter, map, scan, startWith, type Observable } from 'rxjs';

import type { ToolflightEvent } from '../events/types.js';

/** One buffered write as the log last described it. */
export interface OutboxEntryView {
  /** The idempotency key the upstream dedupes on. */
  readonly key: string;
  readonly tool: string;
  /** When it entered its current state (the event's `at`). */
  readonly since: number;
  /** Why it was rejected (dead letters only). */
  readonly reason?: string;
}

/** The outbox projection; `evolveOutbox` updates it in place (see `evolveCaptures`). */
export interface OutboxState {
  /** The seq of the last event folded. */
  seq: number;
  /** Enqueued and not yet delivered or rejected, in enqueue order. */
  readonly pending: Map<string, OutboxEntryView>;
  /** Rejected for good (4xx, a JSON-RPC error, expired), until a retry delivers them. */
  readonly dead: Map<string, OutboxEntryView>;
  /** How many deliveries the log records. */
  delivered: number;
}

/** The outbox as a plain, JSON-ready value. */
export interface OutboxSnapshot {
  readonly seq: number;
  readonly pending: readonly OutboxEntryView[];
  readonly dead: readonly OutboxEntryView[];
  readonly delivered: number;
}

/** An empty outbox projection. */
export function initialOutboxState(): OutboxState {
  return { seq: 0, pending: new Map(), dead: new Map(), delivered: 0 };
}

/**
 * Fold one event. Events other than `outbox.*` only advance `seq`. A key enqueued again (a dead
 * letter re-queued by an operator) leaves the dead letters; a delivery clears the key everywhere.
 *
 * @example
 * const state = events.reduce(evolveOutbox, initialOutboxState());
 * state.pending.size; // writes still waiting for the upstream
 */
export function evolveOutbox(state: OutboxState, event: ToolflightEvent): OutboxState {
  state.seq = event.seq;
  switch (event.type) {
    case 'outbox.enqueued': {
      const { key, tool } = event.data;
      state.dead.delete(key);
      // A key already pending keeps its place (and its age): enqueue is idempotent per key.
      if (!state.pending.has(key)) state.pending.set(key, { key, tool, since: event.at });
      break;
    }
    case 'outbox.delivered':
      state.pending.delete(event.data.key);
      state.dead.delete(event.data.key);
      state.delivered += 1;
      break;
    case 'outbox.rejected': {
      const { key, tool, reason } = event.data;
      state.pending.delete(key);
      state.dead.set(key, {
        key,
        tool,
        since: event.at,
        ...(reason === undefined ? {} : { reason }),
      });
      break;
    }
    default:
      break;
  }
  return state;
}

/** Copy the projection out as plain arrays (pending in enqueue order, dead in rejection order). */
export function snapshotOutbox(state: OutboxState): OutboxSnapshot {
  return {
    seq: state.seq,
    pending: [...state.pending.values()],
    dead: [...state.dead.values()],
    delivered: state.delivered,
  };
}

/**
 * The outbox snapshot now (empty) and after each `outbox.*` event of `events$`. To start from a
 * log's history, pass `concat(from(store.read()), tracker.events$)`.
 */
export function outbox$(events$: Observable<ToolflightEvent>): Observable<OutboxSnapshot> {
  // A fresh state per subscriber: the fold updates it in place.
  return defer(() =>
    events$.pipe(
      filter((event) => event.type.startsWith('outbox.')),
      scan(evolveOutbox, initialOutboxState()),
      map(snapshotOutbox),
      startWith(snapshotOutbox(initialOutboxState())),
    ),
  );
}

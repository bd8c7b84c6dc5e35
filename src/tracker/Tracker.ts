import type { Observable, SchedulerLike } from 'rxjs';

import type {
  NoteEvent,
  RpcErrorFacts,
  RpcFacts,
  ToolArgs,
  ToolflightEvent,
} from '../events/types.js';
import type { CapturesView } from '../projections/capturesView.js';
import type { EventStore } from '../store/EventStore.js';
import type { RequestHandle, ToolCallHandle } from './handles.js';
import type { IdSource } from './ids.js';
import type { StoreHealth } from './storeWriter.js';
import type { CaptureObservers, ObserverFailure, ToolCallOutcomeReport } from './observers.js';

/** Everything a tracker reads from outside: time, identity, timers, storage, error reporting. */
export interface TrackerOptions {
  /** Milliseconds for each event's `at`. Default: the scheduler's `now()`. */
  readonly clock?: () => number;
  /** Entity ids. Default: `sequentialIds()` (`rq_1`, `tc_1`, …). */
  readonly ids?: IdSource;
  /** Timers for the idle wait. Default: RxJS `asyncScheduler`; pass a virtual one in tests. */
  readonly scheduler?: SchedulerLike;
  /**
   * Where every event is appended as it is applied and published: a JSONL recording, an SQLite
   * file, memory. It must be empty. Default: the last 1,000 events in memory. A store that
   * refuses an event (a full disk) does not refuse the command: see `onStoreError`.
   */
  readonly store?: EventStore;
  /**
   * Called when the store starts refusing events, and again when events start being lost. Until
   * it takes events again, the tracker holds them in memory, in order (up to `maxUnwritten`),
   * and tries again on every later event and on `flushStore()`; events past that are lost, and
   * a `log.gap` event takes their place in the store, so the recording says it is incomplete.
   * The failure also goes on `errors$` (hook `store`). Commands go on either way: the
   * projection, the idle wait and the bus follow what happened, not what was written.
   */
  readonly onStoreError?: (error: unknown, health: StoreHealth) => void;
  /** Events held for a refusing store before they are lost. Default 10,000. */
  readonly maxUnwritten?: number;
  /**
   * A log to continue: verified and folded before the first command, so that seq, generations
   * and default ids go on from it and its live entities can be reached with `requestHandle` and
   * `toolCallHandle`. Its events are not appended to the store again.
   */
  readonly history?: Iterable<ToolflightEvent>;
  /** Called when a host observer or a bus listener throws; its own errors are swallowed. */
  readonly onObserverError?: (failure: ObserverFailure) => void;
  /**
   * Called when a command is refused (it appended nothing), with why. For debugging a host that
   * records less than it expects; costs nothing when not given. A throw from it is reported
   * like an observer's (`onObserverError`, `errors$`, hook `onRefused`), without an event.
   */
  readonly onRefused?: (refusal: TrackerRefusal) => void;
}

/** Why a command appended nothing. */
export type RefusalReason =
  /** The capture key is missing or blank. */
  | 'blank_key'
  /** No capture of that key is active (never begun, or cleared). */
  | 'unknown_capture'
  /** The handle's capture generation was cleared. */
  | 'capture_cleared'
  /** The handle was undefined (the command that should have returned it was refused). */
  | 'no_handle'
  /** `toolCallStarted` from a request that has finished. */
  | 'request_finished'
  /** `toolCallStarted` with a missing or blank tool name. */
  | 'blank_tool_name'
  /** The entity's machine refuses the transition from its state (a second finish, …). */
  | 'machine';

/** A refused command, as `onRefused` receives it. */
export interface TrackerRefusal {
  /** The command's name on the tracker, e.g. `toolCallFinished`. */
  readonly command: string;
  readonly reason: RefusalReason;
  /** A sentence saying what was refused and why. */
  readonly message: string;
  readonly capture?: string;
  readonly gen?: number;
  /** The entity, for commands on a handle. */
  readonly id?: string;
}

/** What starts a tool call: the request that carried it, or the capture key it belongs to. */
export interface ToolCallStart {
  /** The capture key, used when no `request` is given. */
  readonly capture?: string;
  /** The request that carried the call; the call joins the request's generation. */
  readonly request?: RequestHandle;
  readonly toolName: string;
  /** The raw arguments; `undefined` means `{}`. */
  readonly args?: ToolArgs;
}

/**
 * The command API a host calls, and the projections it reads.
 *
 * Every command that its machine accepts appends exactly one event (plus `observer.failed` for
 * each observer that threw); a refused command appends nothing and returns false or undefined.
 */
export interface Tracker extends CapturesView {
  /** Begin a new generation of `key`; returns its number, or undefined for a blank key. */
  readonly beginCapture: (key: string, observers?: CaptureObservers) => number | undefined;
  /** Clear the key's current generation; work it admitted can no longer change the log. */
  readonly clearCapture: (key: string) => boolean;
  /** Admit a request to the key's current generation, before its body is read. */
  readonly requestStarted: (key: string | undefined) => RequestHandle | undefined;
  /**
   * Classify a request once its JSON-RPC method is known; an MCP endpoint adds what it learned
   * of the message (`rpc`: its id, session, target, trace context), which spans are made of.
   */
  readonly requestClassified: (
    handle: RequestHandle | undefined,
    info?: { method?: string; rpc?: RpcFacts },
  ) => boolean;
  /**
   * Finish a request once; finishing from `started` classifies it implicitly. `error` is the
   * JSON-RPC error the agent was answered with.
   */
  readonly requestFinished: (
    handle: RequestHandle | undefined,
    info?: { status?: number; error?: RpcErrorFacts },
  ) => boolean;
  /** Admit a tool call; undefined for a blank name, a finished request or an unknown capture. */
  readonly toolCallStarted: (start: ToolCallStart) => ToolCallHandle | undefined;
  /** Record the final name and arguments after hooks; refused once a result or finish exists. */
  readonly toolCallPrepared: (
    handle: ToolCallHandle | undefined,
    spec: { toolName?: string; args: ToolArgs },
  ) => boolean;
  /** Record the call's outcome, once. */
  readonly toolCallResult: (
    handle: ToolCallHandle | undefined,
    report: ToolCallOutcomeReport,
  ) => boolean;
  /** Finish the call, exactly once, in every path. */
  readonly toolCallFinished: (handle: ToolCallHandle | undefined) => boolean;
  /**
   * Deliver a message the agent yielded to the generation its request was admitted under.
   * Resolves true once `onYield` settled, false when the generation was cleared.
   */
  readonly yielded: (handle: RequestHandle | undefined, message: string) => Promise<boolean>;
  /**
   * Append a fact that belongs to no machine (a catalog listed, an upstream or context change,
   * an outbox entry) with the tracker's seq and clock; the capture projection is unchanged.
   * Throws a `ToolflightError` when `data` does not fit the type.
   */
  readonly note: <T extends NoteEvent['type']>(
    type: T,
    data: Extract<NoteEvent, { type: T }>['data'],
    scope?: { readonly capture?: string },
  ) => Extract<NoteEvent, { type: T }>;
  /** Observer and subscriber failures, as they happen. */
  readonly errors$: Observable<ObserverFailure>;
  /** Where the tracker appends its events (by default the last 1,000 in memory). */
  readonly store: EventStore;
  /** Whether the store holds the whole log: `ok`, or `failing` with events held or lost. */
  readonly storeHealth: () => StoreHealth;
  /**
   * Write the events held for a refusing store now (after freeing disk space, say) instead of
   * at the next event; call it before closing the store. Returns how the store stands.
   */
  readonly flushStore: () => StoreHealth;
  /** The handle of a live request by id (for example one started in the `history`). */
  readonly requestHandle: (id: string) => RequestHandle | undefined;
  /** The handle of a live tool call by id (for example one started in the `history`). */
  readonly toolCallHandle: (id: string) => ToolCallHandle | undefined;
}

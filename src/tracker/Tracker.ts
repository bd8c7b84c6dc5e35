import type { Observable, SchedulerLike } from 'rxjs';

import type { ToolArgs, ToolflightEvent } from '../events/types.js';
import type { IdleOptions } from '../projections/idle.js';
import type { CaptureSnapshot, ProjectionSnapshot } from '../projections/snapshot.js';
import type { EventListener } from './bus.js';
import type { RequestHandle, ToolCallHandle } from './handles.js';
import type { IdSource } from './ids.js';
import type { CaptureObservers, ObserverFailure, ToolCallOutcomeReport } from './observers.js';

/** Where a tracker appends its events besides the bus; `append` is called in seq order. */
export interface EventSink {
  append: (event: ToolflightEvent) => void;
}

/** Everything a tracker reads from outside: time, identity, timers, storage, error reporting. */
export interface TrackerOptions {
  /** Milliseconds for each event's `at`. Default: the scheduler's `now()`. */
  readonly clock?: () => number;
  /** Entity ids. Default: `sequentialIds()` (`rq_1`, `tc_1`, …). */
  readonly ids?: IdSource;
  /** Timers for the idle wait. Default: RxJS `asyncScheduler`; pass a virtual one in tests. */
  readonly scheduler?: SchedulerLike;
  /** Also append every event here (a recording, a store). Default: the bus only. */
  readonly store?: EventSink;
  /** Called when a host observer or a bus listener throws; its own errors are swallowed. */
  readonly onObserverError?: (failure: ObserverFailure) => void;
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
export interface Tracker {
  /** Begin a new generation of `key`; returns its number, or undefined for a blank key. */
  beginCapture(key: string, observers?: CaptureObservers): number | undefined;
  /** Clear the key's current generation; work it admitted can no longer change the log. */
  clearCapture(key: string): boolean;
  /** Admit a request to the key's current generation, before its body is read. */
  requestStarted(key: string | undefined): RequestHandle | undefined;
  requestClassified(handle: RequestHandle | undefined, info?: { method?: string }): boolean;
  /** Finish a request once; finishing from `started` classifies it implicitly. */
  requestFinished(handle: RequestHandle | undefined, info?: { status?: number }): boolean;
  /** Admit a tool call; undefined for a blank name, a finished request or an unknown capture. */
  toolCallStarted(start: ToolCallStart): ToolCallHandle | undefined;
  /** Record the final name and arguments after hooks; refused once a result or finish exists. */
  toolCallPrepared(
    handle: ToolCallHandle | undefined,
    spec: { toolName?: string; args: ToolArgs },
  ): boolean;
  /** Record the call's outcome, once. */
  toolCallResult(handle: ToolCallHandle | undefined, report: ToolCallOutcomeReport): boolean;
  /** Finish the call, exactly once, in every path. */
  toolCallFinished(handle: ToolCallHandle | undefined): boolean;
  /**
   * Deliver a message the agent yielded to the generation its request was admitted under.
   * Resolves true once `onYield` settled, false when the generation was cleared.
   */
  yielded(handle: RequestHandle | undefined, message: string): Promise<boolean>;

  /** Every event, in seq order, from subscription on. Errors in RxJS subscribers follow RxJS. */
  readonly events$: Observable<ToolflightEvent>;
  /** Receive every event; a listener that throws becomes an `observer.failed` event. */
  subscribe(listener: EventListener): () => void;
  /** Observer and subscriber failures, as they happen. */
  readonly errors$: Observable<ObserverFailure>;
  /** The key's current generation, or undefined. */
  capture(key: string): CaptureSnapshot | undefined;
  /** The key's current generation now and after each of its events. */
  capture$(key: string): Observable<CaptureSnapshot | undefined>;
  /** Every live generation. */
  snapshot(): ProjectionSnapshot;
  /** Emits once: true when the capture went idle, false on timeout (see `idle$` rules). */
  idle$(key: string, options: IdleOptions): Observable<boolean>;
  /** `idle$` as a promise. */
  waitForIdle(key: string, options: IdleOptions): Promise<boolean>;
}

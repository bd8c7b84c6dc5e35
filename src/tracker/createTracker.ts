import {
  asyncScheduler,
  concat,
  defer,
  filter,
  firstValueFrom,
  map,
  Observable,
  of,
  Subject,
  type SchedulerLike,
} from 'rxjs';

import { captureTable, requestTable, toolCallTable } from '../../machines/tables.js';
import { ToolflightError } from '../errors.js';
import {
  EVENT_VERSION,
  TOOL_CALL_OUTCOMES,
  type ToolArgs,
  type ToolflightEvent,
} from '../events/types.js';
import {
  evolveCaptures,
  initialCapturesState,
  type GenerationRecord,
} from '../projections/captures.js';
import { idle$, type IdleOptions, type IdleSource } from '../projections/idle.js';
import {
  snapshotCaptures,
  snapshotGeneration,
  type CaptureSnapshot,
  type ProjectionSnapshot,
} from '../projections/snapshot.js';
import { EventBus, type EventListener } from './bus.js';
import { RequestSlot, ToolCallSlot, type RequestHandle, type ToolCallHandle } from './handles.js';
import { sequentialIds, type IdSource } from './ids.js';
import type {
  CaptureObservers,
  ObserverFailure,
  ToolCallOutcomeReport,
  ToolCallSpec,
} from './observers.js';

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

const ADMIT = captureTable.eventIndex('ADMIT');
const YIELD = captureTable.eventIndex('YIELD');
const CLEAR = captureTable.eventIndex('CLEAR');
const CLASSIFY = requestTable.eventIndex('CLASSIFY');
const REQUEST_FINISH = requestTable.eventIndex('FINISH');
const PREPARE = toolCallTable.eventIndex('PREPARE');
const RESULT = toolCallTable.eventIndex('RESULT');
const CALL_FINISH = toolCallTable.eventIndex('FINISH');
const REQUEST_STARTED = requestTable.initial;

const ACTIVITY = new Set<ToolflightEvent['type']>([
  'request.started',
  'request.finished',
  'toolCall.started',
  'toolCall.finished',
  'capture.cleared',
]);

function normalizeName(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ToolflightError('invalid_argument', `${what} must be a string, got ${typeof value}`);
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function checkArgs(args: unknown): ToolArgs {
  if (args === undefined) return {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    const got = Array.isArray(args) ? 'an array' : args === null ? 'null' : typeof args;
    throw new ToolflightError(
      'invalid_args',
      `tool call arguments must be a JSON object, got ${got}: answer the agent with JSON-RPC -32602 instead of tracking the call`,
    );
  }
  return args as ToolArgs;
}

function isLive(generation: GenerationRecord): boolean {
  return !captureTable.states[generation.state]!.final;
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Create a tracker: the command API, its event bus and its projections.
 *
 * @example
 * const tracker = createTracker();
 * tracker.beginCapture('run-1');
 * const request = tracker.requestStarted('run-1');
 * const call = tracker.toolCallStarted({ request, toolName: 'send', args: { to: '#ops' } });
 * tracker.toolCallResult(call, { outcome: 'completed', isError: false });
 * tracker.toolCallFinished(call);
 * tracker.requestFinished(request, { status: 200 });
 * await tracker.waitForIdle('run-1', { timeoutMs: 5000, admissionGraceMs: 250 });
 */
export function createTracker(options: TrackerOptions = {}): Tracker {
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock = options.clock ?? (() => scheduler.now());
  const ids = options.ids ?? sequentialIds();
  const store = options.store;
  const state = initialCapturesState();
  const observersByKey = new Map<string, CaptureObservers>();
  const errors = new Subject<ObserverFailure>();
  const bus = new EventBus((error, event) => {
    // A listener failing on an `observer.failed` is reported but not logged again: no loops.
    if (event.type === 'observer.failed') report('subscriber', error, event);
    else observerFailed('subscriber', error, event);
  });
  const self = {};
  let seq = 0;
  let generations = 0;

  function commit(event: ToolflightEvent): void {
    store?.append(event);
    evolveCaptures(state, event);
    bus.publish(event);
  }

  type Scope = { readonly capture?: string; readonly gen?: number; readonly id?: string };

  function report(hook: string, error: unknown, scope: Scope): ObserverFailure {
    const failure: ObserverFailure = {
      hook,
      error,
      capture: scope.capture,
      gen: scope.gen,
      id: scope.id,
    };
    try {
      options.onObserverError?.(failure);
    } catch {
      // The error channel itself must not reach the host's path either.
    }
    errors.next(failure);
    return failure;
  }

  function observerFailed(hook: string, error: unknown, scope: Scope): void {
    commit({
      v: EVENT_VERSION,
      seq: ++seq,
      at: clock(),
      type: 'observer.failed',
      ...(scope.capture === undefined ? {} : { capture: scope.capture }),
      ...(scope.gen === undefined ? {} : { gen: scope.gen }),
      ...(scope.id === undefined ? {} : { id: scope.id }),
      data: { hook, message: message(error) },
    });
    report(hook, error, scope);
  }

  /** Run one host callback; a throw or a rejected promise becomes an `observer.failed`. */
  function guard<T>(hook: string, scope: Scope, run: () => T): T | undefined {
    try {
      const returned = run();
      if (returned instanceof Promise) {
        return returned.catch((error: unknown) => observerFailed(hook, error, scope)) as T;
      }
      return returned;
    } catch (error) {
      observerFailed(hook, error, scope);
      return undefined;
    }
  }

  function own<S extends RequestSlot | ToolCallSlot>(
    handle: unknown,
    Slot: new (...args: never[]) => S,
    what: string,
  ): S | undefined {
    if (handle === undefined || handle === null) return undefined;
    if (!(handle instanceof Slot)) {
      throw new ToolflightError('invalid_argument', `expected a ${what} returned by this tracker`);
    }
    if (handle.owner !== self) {
      throw new ToolflightError(
        'foreign_handle',
        `this ${what} was admitted by another tracker: pass each handle back to the tracker that returned it`,
      );
    }
    return handle;
  }

  const ownRequest = (handle: unknown) => own(handle, RequestSlot, 'RequestHandle');
  const ownCall = (handle: unknown) => own(handle, ToolCallSlot, 'ToolCallHandle');

  const idleSource: IdleSource = {
    scheduler,
    current: (key) => state.byKey.get(key.trim()),
    activity: (gen) =>
      new Observable<GenerationRecord | undefined>((subscriber) =>
        bus.subscribe((event) => {
          if (event.gen === gen ? ACTIVITY.has(event.type) : event.type === 'capture.begun') {
            const record = state.byGen.get(gen);
            if (event.type === 'capture.begun' && event.capture !== record?.key) return;
            subscriber.next(record && record.current && isLive(record) ? record : undefined);
          }
        }),
      ),
  };

  const events$ = new Observable<ToolflightEvent>((subscriber) =>
    bus.subscribe((event) => subscriber.next(event)),
  );

  const tracker: Tracker = {
    beginCapture(key, observers) {
      const capture = normalizeName(key, 'capture key');
      if (capture === undefined) return undefined;
      const gen = ++generations;
      commit({ v: EVENT_VERSION, seq: ++seq, at: clock(), type: 'capture.begun', capture, gen });
      if (observers) observersByKey.set(capture, observers);
      else observersByKey.delete(capture);
      return gen;
    },

    clearCapture(key) {
      const capture = normalizeName(key, 'capture key');
      const record = capture === undefined ? undefined : state.byKey.get(capture);
      if (!record || captureTable.step(record.state, CLEAR) < 0) return false;
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'capture.cleared',
        capture: record.key,
        gen: record.gen,
      });
      observersByKey.delete(record.key);
      return true;
    },

    requestStarted(key) {
      const capture = normalizeName(key, 'capture key');
      const record = capture === undefined ? undefined : state.byKey.get(capture);
      if (!record || captureTable.step(record.state, ADMIT) < 0) return undefined;
      const id = ids('rq');
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'request.started',
        capture: record.key,
        gen: record.gen,
        id,
        data: {},
      });
      const observers = observersByKey.get(record.key);
      const slot = new RequestSlot(self, record, record.requests.get(id)!, observers);
      const hook = observers?.onRequestStart;
      if (hook) guard('onRequestStart', slot, () => hook.call(observers, slot));
      return slot;
    },

    requestClassified(handle, info = {}) {
      const slot = ownRequest(handle);
      if (!slot || !isLive(slot.generation)) return false;
      if (requestTable.step(slot.record.state, CLASSIFY) < 0) return false;
      const method = normalizeName(info.method, 'method');
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'request.classified',
        capture: slot.capture,
        gen: slot.gen,
        id: slot.id,
        data: method === undefined ? {} : { method },
      });
      const observers = slot.observers;
      const hook = observers?.onRequestClassified;
      if (hook) {
        const classified = method === undefined ? { implicit: false } : { method, implicit: false };
        guard('onRequestClassified', slot, () => hook.call(observers, slot, classified));
      }
      return true;
    },

    requestFinished(handle, info = {}) {
      const slot = ownRequest(handle);
      if (!slot || !isLive(slot.generation)) return false;
      const from = slot.record.state;
      if (requestTable.step(from, REQUEST_FINISH) < 0) return false;
      const status = info.status;
      if (status !== undefined && !Number.isFinite(status)) {
        throw new ToolflightError(
          'invalid_argument',
          `status must be a finite number, got ${status}`,
        );
      }
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'request.finished',
        capture: slot.capture,
        gen: slot.gen,
        id: slot.id,
        data: status === undefined ? {} : { status },
      });
      const observers = slot.observers;
      if (!observers) return true;
      const classify = observers.onRequestClassified;
      if (from === REQUEST_STARTED && classify) {
        guard('onRequestClassified', slot, () => classify(slot, { implicit: true }));
      }
      const finish = observers.onRequestFinish;
      if (finish) {
        const finished = status === undefined ? {} : { status };
        guard('onRequestFinish', slot, () => finish.call(observers, slot, finished));
      }
      return true;
    },

    toolCallStarted(start) {
      const toolName = normalizeName(start.toolName, 'toolName');
      const args = checkArgs(start.args);
      const request = ownRequest(start.request);
      let record: GenerationRecord | undefined;
      let observers: CaptureObservers | undefined;
      if (request) {
        if (requestTable.states[request.record.state]!.final) return undefined;
        record = request.generation;
        observers = request.observers;
      } else {
        const capture = normalizeName(start.capture, 'capture key');
        record = capture === undefined ? undefined : state.byKey.get(capture);
        observers = record && observersByKey.get(record.key);
      }
      if (toolName === undefined || !record) return undefined;
      if (captureTable.step(record.state, ADMIT) < 0) return undefined;
      const id = ids('tc');
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'toolCall.started',
        capture: record.key,
        gen: record.gen,
        id,
        data: request ? { request: request.id, toolName, args } : { toolName, args },
      });
      const slot = new ToolCallSlot(self, record, record.toolCalls.get(id)!, observers);
      const hook = observers?.onToolCallStart;
      if (hook) {
        const correlation = guard('onToolCallStart', slot, () => hook.call(observers, slot));
        if (typeof correlation === 'string') slot.correlationId = correlation;
      }
      return slot;
    },

    toolCallPrepared(handle, spec) {
      const slot = ownCall(handle);
      if (!slot || !isLive(slot.generation)) return false;
      if (toolCallTable.step(slot.record.state, PREPARE) < 0) return false;
      const args = checkArgs(spec.args);
      const toolName = normalizeName(spec.toolName, 'toolName') ?? slot.record.toolName;
      const previous: ToolCallSpec = { toolName: slot.record.toolName, args: slot.record.args };
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'toolCall.prepared',
        capture: slot.capture,
        gen: slot.gen,
        id: slot.id,
        data: { toolName, args },
      });
      const observers = slot.observers;
      const hook = observers?.onToolCallPrepared;
      if (hook) {
        const change = { previous, current: { toolName, args } };
        guard('onToolCallPrepared', slot, () => hook.call(observers, slot, change));
      }
      return true;
    },

    toolCallResult(handle, report) {
      const slot = ownCall(handle);
      if (!slot || !isLive(slot.generation)) return false;
      if (!TOOL_CALL_OUTCOMES.includes(report.outcome)) {
        throw new ToolflightError(
          'invalid_argument',
          `outcome must be one of ${TOOL_CALL_OUTCOMES.join(', ')}, got ${JSON.stringify(report.outcome)}`,
        );
      }
      if (toolCallTable.step(slot.record.state, RESULT) < 0) return false;
      const data: ToolCallOutcomeReport = {
        outcome: report.outcome,
        isError: report.isError === true,
        ...(report.result === undefined ? {} : { result: report.result }),
        ...(report.reason === undefined ? {} : { reason: String(report.reason) }),
      };
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'toolCall.result',
        capture: slot.capture,
        gen: slot.gen,
        id: slot.id,
        data,
      });
      const observers = slot.observers;
      const hook = observers?.onToolCallResult;
      if (hook) guard('onToolCallResult', slot, () => hook.call(observers, slot, data));
      return true;
    },

    toolCallFinished(handle) {
      const slot = ownCall(handle);
      if (!slot || !isLive(slot.generation)) return false;
      const next = toolCallTable.step(slot.record.state, CALL_FINISH);
      if (next < 0) return false;
      const prepared = toolCallTable.states[next]!.context.prepared === true;
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'toolCall.finished',
        capture: slot.capture,
        gen: slot.gen,
        id: slot.id,
        data: { prepared },
      });
      const observers = slot.observers;
      const hook = observers?.onToolCallFinish;
      if (hook) guard('onToolCallFinish', slot, () => hook.call(observers, slot, { prepared }));
      return true;
    },

    async yielded(handle, text) {
      const slot = ownRequest(handle);
      if (!slot || captureTable.step(slot.generation.state, YIELD) < 0) return false;
      if (typeof text !== 'string') {
        throw new ToolflightError('invalid_argument', `a yielded message must be a string`);
      }
      commit({
        v: EVENT_VERSION,
        seq: ++seq,
        at: clock(),
        type: 'capture.yielded',
        capture: slot.capture,
        gen: slot.gen,
        id: slot.id,
        data: { message: text },
      });
      const observers = slot.observers;
      const hook = observers?.onYield;
      if (hook) await guard('onYield', slot, () => hook.call(observers, text, slot));
      return true;
    },

    events$,
    subscribe: (listener) => bus.subscribe(listener),
    errors$: errors.asObservable(),

    capture(key) {
      const record = state.byKey.get(key.trim());
      return record && snapshotGeneration(record);
    },

    capture$(key) {
      const capture = key.trim();
      return defer(() =>
        concat(
          of(tracker.capture(capture)),
          events$.pipe(
            filter((event) => event.capture === capture && event.type !== 'observer.failed'),
            map(() => tracker.capture(capture)),
          ),
        ),
      );
    },

    snapshot: () => snapshotCaptures(state),
    idle$: (key, idleOptions) => idle$(idleSource, key, idleOptions),
    waitForIdle: (key, idleOptions) => firstValueFrom(idle$(idleSource, key, idleOptions)),
  };
  return tracker;
}

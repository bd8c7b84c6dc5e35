import { asyncScheduler, Subject } from 'rxjs';

import {
  CaptureEvent,
  captureTable,
  RequestEvent,
  requestTable,
  ToolCallEvent,
  toolCallTable,
} from '../../machines/compiledTables.js';
import { ToolflightError } from '../errors.js';
import {
  EVENT_VERSION,
  TOOL_CALL_OUTCOMES,
  type NoteEvent,
  type ObserverFailed,
  type ToolCallResult,
  type ToolflightEvent,
} from '../events/types.js';
import { initialCapturesState } from '../projections/captures.js';
import {
  beginGeneration,
  classifyRequest,
  clearGeneration,
  finishRequest,
  finishToolCall,
  prepareToolCall,
  recordToolCallResult,
  startRequest,
  startToolCall,
} from '../projections/captureTransitions.js';
import { createCapturesView } from '../projections/capturesView.js';
import { createMemoryStore } from '../store/memoryStore.js';
import { EventBus } from '../events/bus.js';
import { validateEvent } from '../events/codec.js';
import { RequestSlot, ToolCallSlot } from './slots.js';
import { hydrate } from './hydrate.js';
import { sequentialIds } from './ids.js';
import type { CaptureObservers, ObserverFailure, ToolCallSpec } from './observers.js';
import type { Tracker, TrackerOptions } from './Tracker.js';
import { checkArgs, checkStatus, normalizeName } from '../events/validate.js';
import { messageOf } from '../errors.js';
import type { GenerationRecord } from '../projections/captureRecords.js';

/** One frozen `{}` shared by every event whose data is empty: no allocation per event. */
const NO_DATA: Record<string, never> = Object.freeze({});
/** What `note` appends: the event types that belong to no machine. */
const NOTE_TYPES: ReadonlySet<string> = new Set<NoteEvent['type']>([
  'catalog.listed',
  'context.changed',
  'upstream.changed',
  'outbox.enqueued',
  'outbox.delivered',
  'outbox.rejected',
]);

/**
 * How many recent events a tracker keeps in memory when no store is given. Events hold tool
 * arguments and results, so the ring is live heap every major GC walks: 10,000 cost the proxy
 * bench 8 to 10% of its throughput (and could hold hundreds of MB of large results); at 1,000
 * the cost is within noise. A host that wants more history passes a store.
 */
const DEFAULT_RETAIN = 1_000;
const FINISHED_PREPARED = Object.freeze({ prepared: true });
const FINISHED_UNPREPARED = Object.freeze({ prepared: false });

const isLive = (generation: GenerationRecord): boolean =>
  !captureTable.states[generation.state]!.final;

type Scope = { readonly capture?: string; readonly gen?: number; readonly id?: string };

/**
 * Create a tracker: the command API, its event bus and its projections.
 *
 * Each command asks the entity's machine (through its compiled table) whether the transition is
 * allowed; if so it builds one event, appends it to the store, folds it into the projection and
 * publishes it, then calls the host's observers.
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
  const clock = options.clock ?? scheduler.now.bind(scheduler);
  const store = options.store ?? createMemoryStore({ retain: DEFAULT_RETAIN });
  if (store.lastSeq() !== 0) {
    throw new ToolflightError(
      'invalid_argument',
      `the store already holds events up to seq ${store.lastSeq()}: a tracker starts a new log, so pass an empty store (or replay the old one)`,
    );
  }
  const self = {};
  // The tracker holds every record it touches, so its projection needs no id index (except
  // while it folds a history, where the records are made as the tracker's own handles).
  const state = initialCapturesState({
    indexed: options.history !== undefined,
    records: {
      request: (event, generation) => new RequestSlot(self, generation, undefined, event),
      toolCall: (event, generation) => new ToolCallSlot(self, generation, undefined, event),
    },
  });
  const observersByKey = new Map<string, CaptureObservers>();
  const errors = new Subject<ObserverFailure>();
  const bus = new EventBus((error, event) => {
    // A listener failing on an `observer.failed` is reported but not logged again: no loops.
    if (event.type === 'observer.failed') report('subscriber', error, event);
    else observerFailed('subscriber', error, event);
  });
  const continued = options.history === undefined ? undefined : hydrate(state, options.history);
  let seq = state.seq;
  let generations = continued?.generations ?? 0;
  const ids = options.ids ?? sequentialIds(continued?.ids);

  /**
   * Store first: if the store throws, the command throws and nothing changed (not even the seq
   * counter, so the log stays gapless).
   */
  function persist(event: ToolflightEvent): void {
    store.append(event);
    seq = event.seq;
    state.seq = event.seq;
  }

  function report(hook: string, error: unknown, scope: Scope): void {
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
  }

  function observerFailed(hook: string, error: unknown, scope: Scope): void {
    const event: ObserverFailed = {
      v: EVENT_VERSION,
      seq: seq + 1,
      at: clock(),
      type: 'observer.failed',
      ...(scope.capture === undefined ? {} : { capture: scope.capture }),
      ...(scope.gen === undefined ? {} : { gen: scope.gen }),
      ...(scope.id === undefined ? {} : { id: scope.id }),
      data: { hook, message: messageOf(error) },
    };
    persist(event);
    bus.publish(event);
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
    kind: S['kind'],
  ): S | undefined {
    // The common case first: one of ours, of the right kind.
    const slot = handle as S | undefined;
    if (slot?.owner === self && slot.kind === kind) return slot;
    if (handle === undefined || handle === null) return undefined;
    const what = kind === 'request' ? 'RequestHandle' : 'ToolCallHandle';
    if (!(handle instanceof (kind === 'request' ? RequestSlot : ToolCallSlot))) {
      throw new ToolflightError('invalid_argument', `expected a ${what} returned by this tracker`);
    }
    throw new ToolflightError(
      'foreign_handle',
      `this ${what} was admitted by another tracker: pass each handle back to the tracker that returned it`,
    );
  }

  /** A live entity by id: a scan of the live lists, for tests and rare host use. */
  function findLive(
    id: string,
    kind: 'request' | 'toolCall',
  ): RequestSlot | ToolCallSlot | undefined {
    for (const generation of state.byGen.values()) {
      for (const record of kind === 'request' ? generation.requests : generation.toolCalls) {
        if (record.id === id) return record as RequestSlot | ToolCallSlot;
      }
    }
    return undefined;
  }

  /** The key's current generation; undefined for a blank or unknown key. */
  function currentGeneration(key: unknown): GenerationRecord | undefined {
    const capture = normalizeName(key, 'capture key');
    return capture === undefined ? undefined : state.byKey.get(capture);
  }

  const tracker: Tracker = {
    beginCapture(key, observers) {
      const capture = normalizeName(key, 'capture key');
      if (capture === undefined) return undefined;
      const gen = generations + 1;
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'capture.begun',
        capture,
        gen,
      } as const;
      persist(event);
      generations = gen;
      beginGeneration(state, event);
      if (observers) observersByKey.set(capture, observers);
      else observersByKey.delete(capture);
      bus.publish(event);
      return gen;
    },

    clearCapture(key) {
      const generation = currentGeneration(key);
      if (!generation || captureTable.step(generation.state, CaptureEvent.CLEAR) < 0) return false;
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'capture.cleared',
        capture: generation.key,
        gen: generation.gen,
      } as const;
      persist(event);
      clearGeneration(state, generation);
      observersByKey.delete(generation.key);
      bus.publish(event);
      return true;
    },

    requestStarted(key) {
      const generation = currentGeneration(key);
      if (!generation || captureTable.step(generation.state, CaptureEvent.ADMIT) < 0)
        return undefined;
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'request.started',
        capture: generation.key,
        gen: generation.gen,
        id: ids('rq'),
        data: NO_DATA,
      } as const;
      persist(event);
      const observers = observersByKey.get(generation.key);
      const slot = new RequestSlot(self, generation, observers, event);
      startRequest(state, generation, slot);
      bus.publish(event);
      const hook = observers?.onRequestStart;
      if (hook) guard('onRequestStart', slot, () => hook.call(observers, slot));
      return slot;
    },

    requestClassified(handle, info = {}) {
      const slot = own<RequestSlot>(handle, 'request');
      if (!slot || !isLive(slot.generation)) return false;
      if (requestTable.step(slot.stateIndex, RequestEvent.CLASSIFY) < 0) return false;
      const method = normalizeName(info.method, 'method');
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'request.classified',
        capture: slot.generation.key,
        gen: slot.generation.gen,
        id: slot.id,
        data: method === undefined ? NO_DATA : { method },
      } as const;
      persist(event);
      classifyRequest(event, slot);
      bus.publish(event);
      const observers = slot.observers;
      const hook = observers?.onRequestClassified;
      if (hook) {
        const classified = method === undefined ? { implicit: false } : { method, implicit: false };
        guard('onRequestClassified', slot, () => hook.call(observers, slot, classified));
      }
      return true;
    },

    requestFinished(handle, info = {}) {
      const slot = own<RequestSlot>(handle, 'request');
      if (!slot || !isLive(slot.generation)) return false;
      const from = slot.stateIndex;
      if (requestTable.step(from, RequestEvent.FINISH) < 0) return false;
      const status = checkStatus(info.status);
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'request.finished',
        capture: slot.generation.key,
        gen: slot.generation.gen,
        id: slot.id,
        data: status === undefined ? NO_DATA : { status },
      } as const;
      persist(event);
      finishRequest(state, slot.generation, slot);
      bus.publish(event);
      const observers = slot.observers;
      if (!observers) return true;
      const classify = observers.onRequestClassified;
      if (from === requestTable.initial && classify) {
        guard('onRequestClassified', slot, () =>
          classify.call(observers, slot, { implicit: true }),
        );
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
      const request = own<RequestSlot>(start.request, 'request');
      let generation: GenerationRecord | undefined;
      let observers: CaptureObservers | undefined;
      if (request) {
        if (requestTable.states[request.stateIndex]!.final) return undefined;
        generation = request.generation;
        observers = request.observers;
      } else {
        generation = currentGeneration(start.capture);
        observers = generation && observersByKey.get(generation.key);
      }
      if (toolName === undefined || !generation) return undefined;
      if (captureTable.step(generation.state, CaptureEvent.ADMIT) < 0) return undefined;
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'toolCall.started',
        capture: generation.key,
        gen: generation.gen,
        id: ids('tc'),
        data: request ? { request: request.id, toolName, args } : { toolName, args },
      } as const;
      persist(event);
      const slot = new ToolCallSlot(self, generation, observers, event);
      startToolCall(state, generation, slot);
      bus.publish(event);
      const hook = observers?.onToolCallStart;
      if (hook) {
        const correlation = guard('onToolCallStart', slot, () => hook.call(observers, slot));
        if (typeof correlation === 'string') slot.correlationId = correlation;
      }
      return slot;
    },

    toolCallPrepared(handle, spec) {
      const slot = own<ToolCallSlot>(handle, 'toolCall');
      if (!slot || !isLive(slot.generation)) return false;
      if (toolCallTable.step(slot.stateIndex, ToolCallEvent.PREPARE) < 0) return false;
      const args = checkArgs(spec.args);
      const toolName = normalizeName(spec.toolName, 'toolName') ?? slot.toolName;
      const previous: ToolCallSpec = { toolName: slot.toolName, args: slot.args };
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'toolCall.prepared',
        capture: slot.generation.key,
        gen: slot.generation.gen,
        id: slot.id,
        data: { toolName, args },
      } as const;
      persist(event);
      prepareToolCall(event, slot);
      bus.publish(event);
      const observers = slot.observers;
      const hook = observers?.onToolCallPrepared;
      if (hook) {
        const change = { previous, current: { toolName, args } };
        guard('onToolCallPrepared', slot, () => hook.call(observers, slot, change));
      }
      return true;
    },

    toolCallResult(handle, report) {
      const slot = own<ToolCallSlot>(handle, 'toolCall');
      if (!slot || !isLive(slot.generation)) return false;
      if (!TOOL_CALL_OUTCOMES.includes(report.outcome)) {
        throw new ToolflightError(
          'invalid_argument',
          `outcome must be one of ${TOOL_CALL_OUTCOMES.join(', ')}, got ${JSON.stringify(report.outcome)}`,
        );
      }
      if (toolCallTable.step(slot.stateIndex, ToolCallEvent.RESULT) < 0) return false;
      const data: { -readonly [K in keyof ToolCallResult['data']]: ToolCallResult['data'][K] } = {
        outcome: report.outcome,
        isError: report.isError === true,
      };
      if (report.result !== undefined) data.result = report.result;
      if (report.reason !== undefined) data.reason = String(report.reason);
      const event: ToolCallResult = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'toolCall.result',
        capture: slot.generation.key,
        gen: slot.generation.gen,
        id: slot.id,
        data,
      };
      persist(event);
      recordToolCallResult(event, slot);
      bus.publish(event);
      const observers = slot.observers;
      const hook = observers?.onToolCallResult;
      if (hook) guard('onToolCallResult', slot, () => hook.call(observers, slot, data));
      return true;
    },

    toolCallFinished(handle) {
      const slot = own<ToolCallSlot>(handle, 'toolCall');
      if (!slot || !isLive(slot.generation)) return false;
      const next = toolCallTable.step(slot.stateIndex, ToolCallEvent.FINISH);
      if (next < 0) return false;
      const prepared = toolCallTable.states[next]!.context.prepared === true;
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'toolCall.finished',
        capture: slot.generation.key,
        gen: slot.generation.gen,
        id: slot.id,
        data: prepared ? FINISHED_PREPARED : FINISHED_UNPREPARED,
      } as const;
      persist(event);
      finishToolCall(state, slot.generation, slot);
      bus.publish(event);
      const observers = slot.observers;
      const hook = observers?.onToolCallFinish;
      if (hook) guard('onToolCallFinish', slot, () => hook.call(observers, slot, event.data));
      return true;
    },

    async yielded(handle, text) {
      const slot = own<RequestSlot>(handle, 'request');
      if (!slot || captureTable.step(slot.generation.state, CaptureEvent.YIELD) < 0) return false;
      if (typeof text !== 'string') {
        throw new ToolflightError('invalid_argument', 'a yielded message must be a string');
      }
      const event = {
        v: EVENT_VERSION,
        seq: seq + 1,
        at: clock(),
        type: 'capture.yielded',
        capture: slot.generation.key,
        gen: slot.generation.gen,
        id: slot.id,
        data: { message: text },
      } as const;
      persist(event);
      bus.publish(event);
      const observers = slot.observers;
      const hook = observers?.onYield;
      if (hook) await guard('onYield', slot, () => hook.call(observers, text, slot));
      return true;
    },

    note(type, data, scope = {}) {
      if (!NOTE_TYPES.has(type)) {
        throw new ToolflightError(
          'invalid_argument',
          `note takes ${[...NOTE_TYPES].join(', ')}; lifecycle events come from their commands, not from note (got ${JSON.stringify(type)})`,
        );
      }
      const capture = normalizeName(scope.capture, 'capture key');
      let event: ToolflightEvent;
      try {
        // The codec's own rules decide what a well-formed note is, and give the canonical order.
        event = validateEvent({
          v: EVENT_VERSION,
          seq: seq + 1,
          at: clock(),
          type,
          ...(capture === undefined ? {} : { capture }),
          data,
        });
      } catch (error) {
        throw new ToolflightError('invalid_argument', `note ${type}: ${messageOf(error)}`);
      }
      persist(event);
      bus.publish(event);
      return event as never;
    },
    errors$: errors.asObservable(),
    store,
    requestHandle: (id) => findLive(id, 'request') as RequestSlot | undefined,
    toolCallHandle: (id) => findLive(id, 'toolCall') as ToolCallSlot | undefined,
    ...createCapturesView(state, bus, scheduler),
  };
  return tracker;
}

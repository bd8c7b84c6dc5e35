import { asyncScheduler, Subject } from 'rxjs';

import { ToolflightError } from '../errors.js';
import { EventBus } from '../events/bus.js';
import type { CapturesState } from '../projections/captureRecords.js';
import { initialCapturesState } from '../projections/captures.js';
import { createCapturesView } from '../projections/capturesView.js';
import { withIdleDefaults } from '../projections/idle.js';
import { createMemoryStore } from '../store/memoryStore.js';
import { captureCommands } from './captureCommands.js';
import { HandleOwnership } from './handleOwnership.js';
import { hydrate } from './hydrate.js';
import { sequentialIds } from './ids.js';
import { StoreWriter } from './storeWriter.js';
import { appendNote } from './note.js';
import { ObserverIsolation } from './observerIsolation.js';
import type { CaptureObservers, ObserverFailure } from './observers.js';
import { requestCommands } from './requestCommands.js';
import { RequestSlot, ToolCallSlot } from './slots.js';
import { toolCallCommands } from './toolCallCommands.js';
import type { TrackerContext } from './trackerContext.js';
import type { Tracker, TrackerOptions } from './Tracker.js';
import { TrackerLog } from './trackerLog.js';

/**
 * How many recent events a tracker keeps in memory when no store is given. Events hold tool
 * arguments and results, so the ring is live heap every major GC walks: 10,000 cost the proxy
 * bench 8 to 10% of its throughput (and could hold hundreds of MB of large results); at 1,000
 * the cost is within noise. A host that wants more history passes a store.
 */
const DEFAULT_RETAIN = 1_000;

/** Events a tracker holds for a store that refuses them, before it starts losing them. */
const DEFAULT_MAX_UNWRITTEN = 10_000;

function maxUnwrittenOf(options: TrackerOptions): number {
  const max = options.maxUnwritten ?? DEFAULT_MAX_UNWRITTEN;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new ToolflightError(
      'invalid_argument',
      `maxUnwritten must be a whole number of events, 0 or more, got ${JSON.stringify(max)}`,
    );
  }
  return max;
}

/**
 * Create a tracker: the command API, its event bus and its projections.
 *
 * Each command asks the entity's machine (through its compiled table) whether the transition is
 * allowed; if so it stamps one event, appends it to the store, folds it into the projection and
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
 * await tracker.waitForIdle('run-1'); // { timeoutMs: 5000, admissionGraceMs: 250 } by default
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
  // The handles are the projection's records (one allocation per entity), made by their owner.
  const owner = {};
  // The tracker holds every record it touches, so its projection needs no id index (except
  // while it folds a history, where the records are made as the tracker's own handles).
  const state: CapturesState = initialCapturesState({
    indexed: options.history !== undefined,
    records: {
      request: (event, generation) => new RequestSlot(owner, generation, undefined, event),
      toolCall: (event, generation) => new ToolCallSlot(owner, generation, undefined, event),
    },
  });
  const errors = new Subject<ObserverFailure>();
  const bus = new EventBus((error, event) => {
    // A listener failing on an `observer.failed` is reported but not logged again: no loops.
    if (event.type === 'observer.failed') isolation.report('subscriber', error, event);
    else isolation.failed('subscriber', error, event);
  });
  const writer = new StoreWriter(store, maxUnwrittenOf(options), (error, health) => {
    try {
      options.onStoreError?.(error, health);
    } catch {
      // The host's error channel must not reach the host's path either.
    }
    errors.next({ hook: 'store', error, capture: undefined, gen: undefined, id: undefined });
  });
  const log = new TrackerLog(writer, state, bus, clock);
  const isolation = new ObserverIsolation(log, errors, options.onObserverError);
  const continued = options.history === undefined ? undefined : hydrate(state, options.history);
  const handles = new HandleOwnership(owner, state);
  const context: TrackerContext = {
    state,
    log,
    isolation,
    handles,
    observersByKey: new Map<string, CaptureObservers>(),
    ids: options.ids ?? sequentialIds(continued?.ids),
    generations: continued?.generations ?? 0,
    onRefused: options.onRefused,
  };

  const view = createCapturesView(state, bus, scheduler);
  // True while an `idle.waited` is appended and published (see `waitForIdle`).
  let notingWait = false;
  return {
    ...captureCommands(context),
    ...requestCommands(context),
    ...toolCallCommands(context),
    // The Tracker type ties data to type; appendNote checks the same at run time.
    note: ((type, data, scope) => appendNote(log, type, data, scope)) as Tracker['note'],
    errors$: errors.asObservable(),
    store,
    storeHealth: () => writer.health(),
    flushStore: () => writer.flush(),
    requestHandle: (id) => handles.liveRequest(id),
    toolCallHandle: (id) => handles.liveToolCall(id),
    ...view,
    // A host's wait on a live capture is a fact of the run too: `idle.waited` says what it got
    // and after how long. A wait on a key that is not live answers at once and notes nothing
    // (a host that waits on every event of a cleared key would otherwise feed itself).
    waitForIdle(key, options) {
      // Bad options throw here, as before, not in the promise.
      const { timeoutMs, admissionGraceMs } = withIdleDefaults(options);
      const waiting = view.waitForIdle(key, options);
      const capture = typeof key === 'string' ? key.trim() : '';
      // A wait begun by a listener of an `idle.waited` is not noted: it would note the next.
      if (notingWait || capture === '' || view.capture(capture)?.state !== 'active') {
        return waiting;
      }
      const started = clock();
      return waiting.then((idle) => {
        const data = {
          result: idle ? ('idle' as const) : ('timed_out' as const),
          waitedMs: Math.max(0, clock() - started),
          ...(Number.isFinite(timeoutMs) && { timeoutMs }),
          admissionGraceMs,
        };
        notingWait = true;
        try {
          appendNote(log, 'idle.waited', data, { capture });
        } catch (error) {
          // Never a reason for the wait itself to fail: reported like an observer's failure.
          errors.next({ hook: 'idle.waited', error, capture, gen: undefined, id: undefined });
        } finally {
          notingWait = false;
        }
        return idle;
      });
    },
  };
}

import {
  concat,
  defer,
  filter,
  firstValueFrom,
  map,
  Observable,
  of,
  type SchedulerLike,
} from 'rxjs';

import type { EventBus, EventListener } from '../events/bus.js';
import type { ToolflightEvent } from '../events/types.js';
import { normalizeName } from '../events/validate.js';
import { isLive } from './captureTransitions.js';
import { idle$, withIdleDefaults, type IdleOptions, type IdleSource } from './idle.js';
import {
  snapshotCaptures,
  snapshotGeneration,
  type CaptureSnapshot,
  type ProjectionSnapshot,
} from './snapshot.js';
import type { CapturesState, GenerationRecord } from './captureRecords.js';

/** What a host, a test or the inspector reads: the projection and its derived streams. */
export interface CapturesView {
  /** Every event, in seq order, from subscription on. Errors in RxJS subscribers follow RxJS. */
  readonly events$: Observable<ToolflightEvent>;
  /** Receive every event; a listener that throws becomes an `observer.failed` event. */
  readonly subscribe: (listener: EventListener) => () => void;
  /** The key's current generation, or undefined. */
  readonly capture: (key: string) => CaptureSnapshot | undefined;
  /** The key's current generation now and after each of its events. */
  readonly capture$: (key: string) => Observable<CaptureSnapshot | undefined>;
  /** Every live generation. */
  readonly snapshot: () => ProjectionSnapshot;
  /**
   * Emits once: true when the capture went idle, false on timeout (see `idle$` rules). Options
   * default to `DEFAULT_IDLE_OPTIONS` (`{ timeoutMs: 5000, admissionGraceMs: 250 }`).
   */
  readonly idle$: (key: string, options?: Partial<IdleOptions>) => Observable<boolean>;
  /** `idle$` as a promise, with the same defaults. */
  readonly waitForIdle: (key: string, options?: Partial<IdleOptions>) => Promise<boolean>;
}

/** The events that change a generation's in-flight count or end it: what wakes an idle wait. */
const ACTIVITY = new Set<ToolflightEvent['type']>([
  'request.started',
  'request.finished',
  'toolCall.started',
  'toolCall.finished',
  'capture.cleared',
]);

/**
 * The read side over a projection that something else keeps current (a tracker, a replay):
 * `state` must already include an event when `bus` publishes it.
 */
export function createCapturesView(
  state: CapturesState,
  bus: EventBus,
  scheduler: SchedulerLike,
): CapturesView {
  const current = (key: unknown): GenerationRecord | undefined => {
    const capture = normalizeName(key, 'capture key');
    return capture === undefined ? undefined : state.byKey.get(capture);
  };

  const idleSource: IdleSource<GenerationRecord> = {
    scheduler,
    current,
    // The wait holds the generation's own record: once its key is begun again and it has
    // drained, the projection no longer has it, but the record still says it is not current.
    activity: (record) =>
      new Observable<GenerationRecord | undefined>((subscriber) =>
        bus.subscribe((event) => {
          const relevant =
            event.gen === record.gen
              ? ACTIVITY.has(event.type)
              : event.type === 'capture.begun' && event.capture === record.key;
          if (relevant) subscriber.next(record.current && isLive(record) ? record : undefined);
        }),
      ),
  };

  const events$ = new Observable<ToolflightEvent>((subscriber) =>
    bus.subscribe((event) => subscriber.next(event)),
  );

  const capture = (key: string): CaptureSnapshot | undefined => {
    const generation = current(key);
    return generation && snapshotGeneration(generation);
  };

  return {
    events$,
    subscribe: (listener) => bus.subscribe(listener),
    capture,
    capture$(key) {
      const name = normalizeName(key, 'capture key');
      if (name === undefined) return of(undefined);
      return defer(() =>
        concat(
          of(capture(name)),
          events$.pipe(
            // Neither a failure report nor a note of a wait changes the capture.
            filter(
              (event) =>
                event.capture === name &&
                event.type !== 'observer.failed' &&
                event.type !== 'idle.waited',
            ),
            map(() => capture(name)),
          ),
        ),
      );
    },
    snapshot: () => snapshotCaptures(state),
    idle$: (key, options) => idle$(idleSource, key, withIdleDefaults(options)),
    waitForIdle: (key, options) =>
      firstValueFrom(idle$(idleSource, key, withIdleDefaults(options))),
  };
}

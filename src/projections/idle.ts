import {
  concat,
  defer,
  map,
  of,
  switchMap,
  take,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';

import { ToolflightError } from '../errors.js';

/** How long to wait for a capture to go quiet. */
export interface IdleOptions {
  /** Give up (resolve false) after this many milliseconds. */
  readonly timeoutMs: number;
  /**
   * A capture is idle only after this long with nothing in flight and no activity: a request
   * the agent is about to send gets this long to be admitted. 0: idle as soon as nothing is in
   * flight.
   */
  readonly admissionGraceMs: number;
}

/**
 * The idle wait's defaults, what an agent gateway uses: give up after 5 s, and call a capture
 * idle after 250 ms with nothing in flight.
 */
export const DEFAULT_IDLE_OPTIONS: IdleOptions = Object.freeze({
  timeoutMs: 5000,
  admissionGraceMs: 250,
});

/** Options with every missing field taken from `DEFAULT_IDLE_OPTIONS`; checks the given ones. */
export function withIdleDefaults(options: Partial<IdleOptions> | undefined): IdleOptions {
  if (options === undefined) return DEFAULT_IDLE_OPTIONS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_IDLE_OPTIONS.timeoutMs;
  const admissionGraceMs = options.admissionGraceMs ?? DEFAULT_IDLE_OPTIONS.admissionGraceMs;
  for (const [name, value] of [
    ['timeoutMs', timeoutMs],
    ['admissionGraceMs', admissionGraceMs],
  ] as const) {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new ToolflightError(
        'invalid_argument',
        `${name} must be a number of milliseconds, got ${JSON.stringify(value)}`,
      );
    }
  }
  return { timeoutMs, admissionGraceMs };
}

/** What the idle wait needs to know about one capture generation at a moment. */
export interface GenerationActivity {
  readonly gen: number;
  readonly inFlight: number;
}

/** The idle wait's view of a tracker: current generations and their activity over time. */
export interface IdleSource<G extends GenerationActivity = GenerationActivity> {
  readonly scheduler: SchedulerLike;
  /** The key's current generation, or undefined for an unknown or cleared key. */
  current: (key: string) => G | undefined;
  /**
   * Emits after each start or finish in the generation `current` returned, and `undefined`
   * once that generation is cleared or its key was begun again (drained or not).
   */
  activity: (generation: G) => Observable<G | undefined>;
}

/**
 * Emits once whether the key's capture went idle (true) or the timeout came first (false).
 *
 * The wait binds to the generation current when it is subscribed. It is true at once for an
 * unknown capture, and as soon as the generation is cleared or replaced; otherwise true only
 * after a full `admissionGraceMs` window with nothing in flight and no activity, a window that
 * must fit before the timeout. Every activity restarts the window. It wakes on events and on the
 * injected scheduler's timers only: no polling.
 */
export function idle$<G extends GenerationActivity>(
  source: IdleSource<G>,
  key: string,
  options: IdleOptions,
): Observable<boolean> {
  const { scheduler } = source;
  return defer(() => {
    const start = source.current(key);
    if (!start) return of(true);
    const deadline = scheduler.now() + Math.max(0, options.timeoutMs);
    const grace = Math.max(0, options.admissionGraceMs);
    const after = (ms: number, value: boolean): Observable<boolean> =>
      timer(ms, scheduler).pipe(map(() => value));

    const decide = (generation: G | undefined): Observable<boolean> => {
      if (!generation) return of(true);
      const remaining = deadline - scheduler.now();
      if (remaining <= 0) return of(false);
      if (generation.inFlight > 0) return after(remaining, false);
      if (grace === 0) return of(true);
      return grace <= remaining ? after(grace, true) : after(remaining, false);
    };

    return concat(of(start), source.activity(start)).pipe(switchMap(decide), take(1));
  });
}

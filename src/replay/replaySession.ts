import { asyncScheduler, type SchedulerLike } from 'rxjs';

import { EventBus } from '../events/bus.js';
import type { ToolflightEvent } from '../events/types.js';
import { createCapturesView, type CapturesView } from '../projections/capturesView.js';
import { createLogChecker } from './logChecker.js';
import { ReplayTally, type ReplayResult } from './replay.js';

/** Options of {@link createReplaySession}. */
export interface ReplaySessionOptions {
  /** Where events are re-emitted: a virtual scheduler in tests. Default: `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Stop after the event with this seq. */
  readonly until?: number;
}

/** A recording played back in time, read like a live tracker. */
export interface ReplaySession extends CapturesView {
  /** What has been folded so far (the whole log once `finished()`). */
  readonly result: () => ReplayResult;
  /** True once every event was re-emitted. */
  readonly finished: () => boolean;
}

/**
 * Re-emit a recording on a scheduler at its recorded times, folding and verifying each event,
 * so that `idle$`, `capture$` and `events$` behave as they did live.
 *
 * The first event is due at the scheduler's `now()` when the session is created, each later one
 * `event.at - first.at` after it; events sharing a time are emitted together, in seq order.
 *
 * @example
 * const scheduler = new VirtualTimeScheduler();
 * const session = createReplaySession(recording.events, { scheduler });
 * session.idle$('run-1', { timeoutMs: 5000, admissionGraceMs: 250 }).subscribe(...);
 * scheduler.flush();
 */
export function createReplaySession(
  source: Iterable<ToolflightEvent>,
  options: ReplaySessionOptions = {},
): ReplaySession {
  const scheduler = options.scheduler ?? asyncScheduler;
  const until = options.until ?? Infinity;
  const tally = new ReplayTally(createLogChecker());
  const bus = new EventBus(() => {
    // A replay has no host to protect; a listener's error is the listener's.
  });
  const view = createCapturesView(tally.checker.state, bus, scheduler);
  const iterator = source[Symbol.iterator]();
  const origin = scheduler.now();
  let firstAt: number | undefined;
  let next = iterator.next();
  let done = false;

  const emitDue = (): void => {
    const now = scheduler.now();
    while (!next.done && next.value.seq <= until) {
      const event = next.value;
      firstAt ??= event.at;
      if (origin + (event.at - firstAt) > now) break;
      // An event the machines refuse is not applied, so it is not published either.
      if (tally.apply(event)) bus.publish(event);
      next = iterator.next();
    }
    if (next.done || next.value.seq > until) {
      done = true;
      return;
    }
    firstAt ??= next.value.at;
    const due = origin + (next.value.at - firstAt);
    scheduler.schedule(emitDue, Math.max(0, due - scheduler.now()));
  };
  scheduler.schedule(emitDue, 0);

  return { ...view, result: () => tally.result(), finished: () => done };
}

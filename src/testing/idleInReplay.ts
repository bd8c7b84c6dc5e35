import { VirtualTimeScheduler } from 'rxjs';

import type { IdleOptions } from '../projections/idle.js';
import { createReplaySession } from '../replay/replaySession.js';
import { eventsOf, type RecordingLike } from './recording.js';

/** When the wait starts: ms into the recording, or right after the event with a seq. */
export type WaitStart = { readonly atMs: number } | { readonly afterSeq: number };

/** How an idle wait against a recording ended, in virtual time. */
export interface IdleVerdict {
  readonly idle: boolean;
  /** Milliseconds from the recording's first event to the resolution. */
  readonly atMs: number;
}

/**
 * Run `idle$` against a recording on virtual time, as a host would have waited during that run,
 * without any real waiting.
 *
 * @example
 * expect(idleInReplay(recording, 'run-1', { timeoutMs: 5000, admissionGraceMs: 250 }, { atMs: 0 }))
 *   .toEqual({ idle: true, atMs: 670 });
 */
export function idleInReplay(
  recording: RecordingLike,
  key: string,
  options: IdleOptions,
  start: WaitStart,
): IdleVerdict {
  const events = eventsOf(recording);
  const scheduler = new VirtualTimeScheduler();
  const session = createReplaySession(events, { scheduler });
  let verdict: IdleVerdict | undefined;
  const wait = () =>
    session.idle$(key, options).subscribe((idle) => (verdict = { idle, atMs: scheduler.now() }));
  if ('afterSeq' in start) {
    // Subscribe right after that event is folded: the replay publishes it synchronously.
    const stop = session.subscribe((event) => {
      if (event.seq !== start.afterSeq) return;
      stop();
      wait();
    });
  } else {
    scheduler.schedule(wait, Math.max(0, start.atMs));
  }
  scheduler.flush();
  if (!verdict) {
    throw new Error(
      'afterSeq' in start
        ? `the recording has no event with seq ${start.afterSeq} to start the wait after`
        : 'the idle wait did not resolve',
    );
  }
  return verdict;
}

import { VirtualTimeScheduler } from 'rxjs';

import { createMemoryStore } from '../store/memoryStore.js';
import { createTracker } from '../tracker/createTracker.js';
import type { Tracker, TrackerOptions } from '../tracker/Tracker.js';
import { advance } from './advance.js';
import { recordingOf, type Recording } from './recording.js';

/** What a recorded run gets besides its tracker: virtual time. */
export interface RecordRunContext {
  /** The scheduler the tracker's clock and timers run on. */
  readonly scheduler: VirtualTimeScheduler;
  /** Move virtual time forward, running the timers due on the way. */
  readonly advance: (ms: number) => void;
}

/**
 * Record a run of your own commands on a fresh tracker, on virtual time, with deterministic ids:
 * the same script always gives the same recording, byte for byte.
 *
 * @example
 * const recording = await recordRun((tracker, { advance }) => {
 *   tracker.beginCapture('run-1');
 *   const request = tracker.requestStarted('run-1');
 *   advance(30);
 *   tracker.requestFinished(request);
 * });
 * recording.save('test/fixtures/quiet-run.jsonl');
 */
export async function recordRun(
  run: (tracker: Tracker, context: RecordRunContext) => void | Promise<void>,
  options: Omit<TrackerOptions, 'store' | 'scheduler' | 'clock'> = {},
): Promise<Recording> {
  const scheduler = new VirtualTimeScheduler();
  const store = createMemoryStore();
  const tracker = createTracker({ ...options, scheduler, store });
  await run(tracker, { scheduler, advance: (ms) => advance(scheduler, ms) });
  scheduler.flush();
  return recordingOf(store.events());
}

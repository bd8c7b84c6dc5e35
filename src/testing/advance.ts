import type { VirtualTimeScheduler } from 'rxjs';

/**
 * Move a virtual scheduler forward by `ms`, running every action due on the way (grace windows,
 * timeouts) at its own virtual time, and stop there even when later actions are queued.
 */
export function advance(scheduler: VirtualTimeScheduler, ms: number): void {
  const target = scheduler.now() + Math.max(0, ms);
  const limit = scheduler.maxFrames;
  scheduler.maxFrames = target;
  try {
    scheduler.flush();
  } finally {
    scheduler.maxFrames = limit;
  }
  scheduler.frame = target;
}

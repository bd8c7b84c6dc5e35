// @internal How long the proxy waits for the upstream, on the injected scheduler: a window that
// progress opens again, never past a total bound (the SDK's `timeout`, `resetTimeoutOnProgress`
// and `maxTotalTimeout`, on virtual time in tests), and a bound on one piece of async work.
import type { SchedulerLike, Subscription } from 'rxjs';

/** Why a deadline passed. */
export interface Expiry {
  /** True when the total bound ended it, false when the window passed without news. */
  readonly total: boolean;
  /** The bound that passed: the window, or the total. */
  readonly limitMs: number;
  /** Since the deadline started. */
  readonly elapsedMs: number;
  /** Whether `extend` was ever called (the upstream reported progress). */
  readonly extended: boolean;
}

/** A running deadline: `onExpired` runs once, unless `clear` came first. */
export class Deadline {
  readonly #startedAt: number;
  #timer: Subscription | undefined;
  #extended = false;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly windowMs: number,
    private readonly totalMs: number,
    private readonly onExpired: (expiry: Expiry) => void,
  ) {
    this.#startedAt = scheduler.now();
    this.#arm();
  }

  /** News from the upstream: the window starts again, cut short by the total bound. */
  extend(): void {
    if (this.#timer === undefined) return;
    this.#extended = true;
    this.#timer.unsubscribe();
    this.#arm();
  }

  /** Settled in time: the deadline never fires. */
  clear(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }

  #arm(): void {
    const left = this.totalMs - (this.scheduler.now() - this.#startedAt);
    // A window that would end past the total is cut to it: the total, not the window, expires.
    const total = left < this.windowMs;
    this.#timer = this.scheduler.schedule(
      () => {
        this.#timer = undefined;
        this.onExpired({
          total,
          limitMs: total ? this.totalMs : this.windowMs,
          elapsedMs: this.scheduler.now() - this.#startedAt,
          extended: this.#extended,
        });
      },
      Math.max(0, total ? left : this.windowMs),
    );
  }
}

/**
 * `work`, or a rejection with `expired()` when it has not settled within `ms` on `scheduler`, or
 * with `stop`'s reason when that is called first. A rejection of `work` that comes too late is
 * dropped: the caller has already moved on.
 */
export function withinDeadline<T>(
  scheduler: SchedulerLike,
  ms: number,
  work: Promise<T>,
  expired: () => Error,
): { readonly settled: Promise<T>; readonly stop: (reason: Error) => void } {
  let stop!: (reason: Error) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  const deadline = new Deadline(scheduler, ms, ms, () => stop(expired()));
  work.catch(() => undefined);
  const settled = Promise.race([work, stopped]).finally(() => deadline.clear());
  return { settled, stop };
}

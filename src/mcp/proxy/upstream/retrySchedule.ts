// @internal The link's next attempt at the upstream: how many failed in a row, why the last
// one did, and the timer of the next, on the injected scheduler with `backoffDelay`.
import type { SchedulerLike, Subscription } from 'rxjs';

import { backoffDelay } from './backoff.js';
import type { ProxyBackoff } from './Upstream.js';

/** Consecutive failures and the one pending retry. */
export class RetrySchedule {
  /** Failures in a row since the upstream last proved it works. */
  failures = 0;
  /** Why the last attempt failed. */
  reason = '';
  #timer: Subscription | undefined;
  #at = 0;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly random: () => number,
    private readonly backoff: ProxyBackoff | undefined,
  ) {}

  /** Whether a retry is scheduled (requests fail fast until it runs). */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Milliseconds until the pending retry (0 when none). */
  get inMs(): number {
    return this.pending ? Math.max(0, Math.ceil(this.#at - this.scheduler.now())) : 0;
  }

  /** Count a failure and run `retry` after its backoff; returns the delay. */
  fail(reason: string, retry: () => void): number {
    this.failures += 1;
    this.reason = reason;
    const delay = backoffDelay(this.failures, this.random, this.backoff);
    this.#at = this.scheduler.now() + delay;
    this.#timer = this.scheduler.schedule(() => {
      this.#timer = undefined;
      retry();
    }, delay);
    return delay;
  }

  /** The upstream works: the next failure starts from the first delay again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** What proved the upstream works since `failures` was read did not: count on from there. */
  restore(failures: number): void {
    this.failures = Math.max(this.failures, failures);
  }

  /** Drop the pending retry (retry now instead, or stop). */
  cancel(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }
}

// @internal Drains the outbox into the upstream: in seq order, one delivery at a time, a target
// whose head entry must wait holding back its later entries, with jittered, capped backoff on
// the injected scheduler.
import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike, Subscription } from 'rxjs';

import { backoffDelay, BACKOFF_DEFAULTS } from '../upstream/backoff.js';
import type { Forwarded } from '../upstream/upstreamSession.js';
import { classifyDelivery, type DeliveryVerdict } from './classifyDelivery.js';
import type { Outbox, PendingEntry } from './Outbox.js';
import type { Logger } from '../../../logger.js';
import { recordSafely } from '../../endpoint/recordSafely.js';
import type { ProxyBackoff } from '../upstream/Upstream.js';

/** The outbox events the worker records. */
export type WorkerNote = (
  type: 'outbox.delivered' | 'outbox.rejected',
  data: { readonly key: string; readonly tool: string; readonly reason?: string },
) => void;

/** What the worker needs from the proxy around it. */
export interface WorkerDeps {
  readonly outbox: Outbox;
  /**
   * Send one request upstream: the proxy's link, with the live token, which renews a refused
   * credential and sends once more itself; a 401/403 that reaches the worker stood after that.
   */
  /** Send a delivery (`outbox`: its key, for the delivery's client span). */
  readonly forward: (request: JSONRPCRequest, outbox: string) => Promise<Forwarded>;
  /** Timers, and `now()` as the clock of `enqueuedAt`, TTL and `nextAttemptAt`. */
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly backoff: ProxyBackoff | undefined;
  readonly ttlMs: number;
  /** Whether the upstream is up now (a new entry is then tried at once). */
  readonly isUp: () => boolean;
  readonly note: WorkerNote;
  readonly logger: Logger | undefined;
}

/** The outbox's delivery loop; `kick`, `wake` and `retry` never throw. */
export class DeliveryWorker {
  #running: Promise<void> | undefined;
  #again = false;
  #timer: Subscription | undefined;
  /** Consecutive attempts that found the upstream away, and when the next may be made. */
  #linkFailures = 0;
  #linkRetryAt = 0;
  #stopped = false;

  constructor(private readonly deps: WorkerDeps) {}

  /** The upstream is (maybe) back: forget the upstream's backoff and drain now. */
  kick(): void {
    this.#linkRetryAt = 0;
    this.#drain();
  }

  /** An entry was queued: try it now if the upstream is up, else make sure a timer runs. */
  wake(): void {
    if (this.deps.isUp()) this.#drain();
    else if (this.#running === undefined) this.#plan();
  }

  /** Resolves once no pass is running (for hosts and tests that wait for a drain to settle). */
  async settled(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Stop: no new pass, no timer, no write after the running delivery returns. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    return this.#running ?? Promise.resolve();
  }

  #drain(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#pass();
        } catch (error) {
          // The outbox file refused a write: back off as if the upstream were away.
          this.deps.logger?.warn(`outbox delivery: ${String(error)}`);
          this.#linkBackoff();
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
      this.#plan();
    });
  }

  async #pass(): Promise<void> {
    const { outbox, scheduler } = this.deps;
    const entries = outbox.pending().filter((entry) => !this.#expire(entry));
    if (scheduler.now() < this.#linkRetryAt) return;
    const waiting = new Set<string>();
    for (const entry of entries) {
      if (this.#stopped) return;
      if (waiting.has(entry.tool) || this.#expire(entry)) continue;
      if (entry.nextAttemptAt > scheduler.now()) {
        // Later entries of this target wait behind it; other targets go on.
        waiting.add(entry.tool);
        continue;
      }
      const verdict = await this.#deliver(entry);
      if (this.#stopped) return;
      if (verdict.kind === 'delivered') {
        this.#linkFailures = 0;
        if (outbox.delivered(entry.key)) {
          this.#note('outbox.delivered', { key: entry.key, tool: entry.tool });
        }
      } else if (verdict.kind === 'dead') {
        this.#linkFailures = 0;
        this.#reject(entry, verdict.reason, true);
      } else {
        if (verdict.kind === 'auth' || verdict.scope === 'link') {
          // The upstream itself is away (or refuses us even after the link renewed the token):
          // not this entry's fault, so it stays due; every target waits for the upstream's
          // backoff, or for it to come up.
          outbox.failed(entry.key, verdict.reason, entry.nextAttemptAt);
          this.#linkBackoff();
          return;
        }
        const delay = backoffDelay(entry.attempts + 1, this.deps.random, this.deps.backoff);
        outbox.failed(entry.key, verdict.reason, scheduler.now() + delay);
        waiting.add(entry.tool);
      }
    }
  }

  async #deliver(entry: PendingEntry): Promise<DeliveryVerdict> {
    const request: JSONRPCRequest = {
      jsonrpc: '2.0',
      id: `outbox-${entry.seq}`,
      method: 'tools/call',
      params: { name: entry.tool, arguments: { ...entry.args } },
    };
    return classifyDelivery(await this.deps.forward(request, entry.key));
  }

  /** Dead-letter an entry past its time to live; true when it was. */
  #expire(entry: PendingEntry): boolean {
    if (this.deps.scheduler.now() - entry.enqueuedAt < this.deps.ttlMs) return false;
    this.#reject(entry, 'expired');
    return true;
  }

  #reject(entry: PendingEntry, reason: string, attempted = false): void {
    const { outbox, scheduler } = this.deps;
    if (outbox.reject(entry.key, reason, scheduler.now(), attempted) !== undefined) {
      this.#note('outbox.rejected', { key: entry.key, tool: entry.tool, reason });
    }
  }

  #linkBackoff(): void {
    this.#linkFailures += 1;
    const delay = backoffDelay(this.#linkFailures, this.deps.random, this.deps.backoff);
    this.#linkRetryAt = this.deps.scheduler.now() + delay;
  }

  /** Set the timer for the next due head entry, TTL deadline or upstream retry (capped). */
  #plan(): void {
    if (this.#stopped || this.#running !== undefined) return;
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    let entries: readonly PendingEntry[];
    try {
      entries = this.deps.outbox.pending();
    } catch {
      return; // closed under us: nothing to plan
    }
    if (entries.length === 0) return;
    const now = this.deps.scheduler.now();
    const heads = new Map<string, number>();
    let next = Infinity;
    for (const entry of entries) {
      if (!heads.has(entry.tool)) heads.set(entry.tool, entry.nextAttemptAt);
      next = Math.min(next, entry.enqueuedAt + this.deps.ttlMs);
    }
    const due = Math.max(Math.min(...heads.values()), this.#linkRetryAt);
    next = Math.min(next, due);
    const cap = this.deps.backoff?.maxMs ?? BACKOFF_DEFAULTS.maxMs;
    const delay = Math.min(Math.max(next - now, 0), cap);
    this.#timer = this.deps.scheduler.schedule(() => {
      this.#timer = undefined;
      this.#drain();
    }, delay);
  }

  #note(...args: Parameters<WorkerNote>): void {
    recordSafely(this.deps.logger, args[0], () => this.deps.note(...args));
  }
}

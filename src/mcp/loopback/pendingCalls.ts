// @internal The tool calls still waiting for an outcome, reachable by a disconnect or a
// `notifications/cancelled`.
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike, Subscription } from 'rxjs';

/** Why toolflight stopped waiting for a call before its tool returned. */
export type AbortKind = 'timed_out' | 'cancelled' | 'unknown';

/** A call whose outcome is not decided yet. */
export interface PendingCall {
  readonly abort: (kind: AbortKind, reason: string) => void;
}

/** How long, and how many, cancellations that matched no call are kept for a late call. */
const EARLY_CANCEL_MS = 10_000;
const EARLY_CANCEL_MAX = 256;

const keyOf = (scope: string, id: RequestId): string => `${scope}\u0000${typeof id}:${id}`;

/**
 * The calls waiting for an outcome, by who may cancel them: `notifications/cancelled` arrives on
 * its own POST (stateless HTTP has no session), so it is matched by the caller's role, capture
 * key and JSON-RPC id. One agent process per capture key keeps those ids unique.
 *
 * The two POSTs race: a client that cancels right after sending a call can have its cancellation
 * arrive first. A cancellation that matched nothing is therefore kept for a while (bounded in
 * time and number), and a call that then arrives with that id is cancelled before it runs.
 */
export class PendingCalls {
  readonly #byKey = new Map<string, Set<PendingCall>>();
  readonly #early = new Map<string, { reason: string; timer: Subscription }>();

  /** `scheduler` runs the timers that forget a kept cancellation. */
  constructor(private readonly scheduler: SchedulerLike) {}

  /** Register a call; returns the function that unregisters it. */
  add(scope: string, id: RequestId, call: PendingCall): () => void {
    const key = keyOf(scope, id);
    let calls = this.#byKey.get(key);
    if (!calls) this.#byKey.set(key, (calls = new Set()));
    calls.add(call);
    return () => {
      calls.delete(call);
      if (calls.size === 0 && this.#byKey.get(key) === calls) this.#byKey.delete(key);
    };
  }

  /** Whether a call of `scope` with that id is waiting for its outcome. */
  has(scope: string, id: RequestId): boolean {
    return this.#byKey.has(keyOf(scope, id));
  }

  /** The reason of a cancellation that arrived before this call, if one did (and forget it). */
  takeEarlyCancel(scope: string, id: RequestId): string | undefined {
    const key = keyOf(scope, id);
    const early = this.#early.get(key);
    if (!early) return undefined;
    early.timer.unsubscribe();
    this.#early.delete(key);
    return early.reason;
  }

  /** Cancel the calls a `notifications/cancelled` names, or keep it for a call yet to come. */
  cancel(scope: string, id: RequestId, reason: string): void {
    const key = keyOf(scope, id);
    const calls = this.#byKey.get(key);
    if (calls) {
      for (const call of [...calls]) call.abort('cancelled', reason);
      return;
    }
    this.#forget(key);
    if (this.#early.size >= EARLY_CANCEL_MAX) this.#forget(this.#early.keys().next().value!);
    const timer = this.scheduler.schedule(() => this.#early.delete(key), EARLY_CANCEL_MS);
    this.#early.set(key, { reason, timer });
  }

  /** Drop every kept cancellation (the server is closing). */
  clear(): void {
    for (const key of [...this.#early.keys()]) this.#forget(key);
  }

  #forget(key: string): void {
    const early = this.#early.get(key);
    early?.timer.unsubscribe();
    this.#early.delete(key);
  }
}

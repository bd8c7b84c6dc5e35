// @internal What one authenticated HTTP request carries to the tool calls it contains.
import type { RequestHandle } from '../../tracker/handles.js';
import type { LoopbackRole } from './LoopbackServer.js';
import type { PendingCall } from './pendingCalls.js';

/** One authenticated request: who sent it, which capture it joined, and its open calls. */
export class RequestScope {
  /** Cancellations must come from a credential of the same role and capture key. */
  readonly cancelScope: string;
  readonly #calls = new Set<PendingCall>();
  #gone = false;

  constructor(
    readonly role: LoopbackRole,
    readonly capture: string,
    /** Undefined when the server serves the request untracked (`untracked: 'serve'`). */
    readonly request: RequestHandle | undefined,
  ) {
    this.cancelScope = `${role}\u0000${capture}`;
  }

  get owner(): boolean {
    return this.role === 'owner';
  }

  /** True once the connection dropped before the response was written. */
  get gone(): boolean {
    return this.#gone;
  }

  /** Register a call of this request; returns the function that unregisters it. */
  track(call: PendingCall): () => void {
    this.#calls.add(call);
    return () => this.#calls.delete(call);
  }

  /** The connection dropped: every undecided call gets outcome `unknown`. */
  goneAway(): void {
    if (this.#gone) return;
    this.#gone = true;
    for (const call of [...this.#calls]) {
      call.abort('unknown', 'the client went away before the result was delivered');
    }
  }
}

// @internal What one authenticated HTTP request carries to the requests it contains.
import type { RequestHandle } from '../../tracker/handles.js';
import type { LoopbackRole } from './LoopbackServer.js';
import type { AbortKind, PendingCall } from './pendingCalls.js';

/** Who a credential is: one role of one capture (what a session belongs to). */
export const claimOf = (role: LoopbackRole, capture: string): string => `${role}\u0000${capture}`;

/** One authenticated request: who sent it, which capture it joined, and its open calls. */
export class RequestScope {
  /**
   * Who may cancel its calls: the same session, or without one the same role and capture key
   * (a stateless agent's cancellation comes on a POST of its own).
   */
  readonly cancelScope: string;
  readonly #calls = new Set<PendingCall>();
  readonly #gone = new AbortController();

  constructor(
    readonly role: LoopbackRole,
    readonly capture: string,
    /** Undefined when the server serves the request untracked (`untracked: 'serve'`). */
    readonly request: RequestHandle | undefined,
    /** The agent session it came in; undefined for a request without `Mcp-Session-Id`. */
    readonly session: string | undefined,
  ) {
    this.cancelScope = session === undefined ? claimOf(role, capture) : `session\u0000${session}`;
  }

  get owner(): boolean {
    return this.role === 'owner';
  }

  /** True once the connection dropped before the response was written. */
  get gone(): boolean {
    return this.#gone.signal.aborted;
  }

  /** Aborted once the connection dropped before the response was written. */
  get goneSignal(): AbortSignal {
    return this.#gone.signal;
  }

  /** Register a call of this request; returns the function that unregisters it. */
  track(call: PendingCall): () => void {
    this.#calls.add(call);
    return () => this.#calls.delete(call);
  }

  /** The connection dropped: every undecided call gets outcome `unknown`. */
  goneAway(): void {
    if (this.gone) return;
    const reason = 'the client went away before the result was delivered';
    this.#gone.abort(new Error(reason));
    this.abortAll('unknown', reason);
  }

  /** Stop waiting for every undecided call of this request (its session ended, say). */
  abortAll(kind: AbortKind, reason: string): void {
    for (const call of [...this.#calls]) call.abort(kind, reason);
  }
}

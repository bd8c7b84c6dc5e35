// @internal An agent session's view of the proxy's own link, for a stdio upstream declared
// stateless (`upstream.shared`): every session sends over the one child, and ending a session
// ends only its own requests there, never the child. Cancellations are scoped to the session, so
// two agents' equal request ids never cancel each other's calls.
import type {
  InitializeResult,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import type { SessionLink, UpstreamLink } from './upstreamLink.js';
import type { AgentRoute, Forwarded, UpstreamSession } from './upstreamSession.js';
import type { SpanParent } from '../../endpoint/rpcFacts.js';

/** One agent session's share of the proxy's link. */
export class SharedLink implements SessionLink {
  /** The session's requests on the shared child, each under its own key (ids may repeat). */
  readonly #inFlight = new Map<number, RequestId>();
  #nextKey = 0;
  /** Why the session ended, and whether its agent ended it (its calls are then `cancelled`). */
  #ended: { readonly reason: string; readonly byAgent: boolean } | undefined;

  constructor(
    private readonly shared: UpstreamLink,
    /** The session's id: the scope of everything it sends, so its cancellations stay its own. */
    private readonly scope: string,
    /** The session's capture: what it sends for no agent request is noted under it. */
    private readonly capture?: string,
  ) {}

  get session(): UpstreamSession | undefined {
    return this.shared.session;
  }

  get initialized(): InitializeResult | undefined {
    return this.shared.initialized;
  }

  /** The shared child, started if need be (its handshake then the child of `span`). */
  ensure(span?: SpanParent): Promise<UpstreamSession> {
    if (this.#ended) return Promise.reject(new Error(this.#ended.reason));
    return this.shared.ensure(span ?? this.#owner);
  }

  async forward(request: JSONRPCRequest, route: AgentRoute = {}): Promise<Forwarded> {
    // The child up first: with a live session the shared link sends at once, in this turn, so
    // a session that ends from here on finds the request there to cancel.
    if (this.#ended === undefined && this.shared.session === undefined) {
      await this.shared.ensure(route.span ?? this.#owner).catch(() => undefined);
    }
    const ended = this.#ended;
    if (ended?.byAgent) return { kind: 'cancelled', reason: ended.reason, gone: false };
    if (ended) return { kind: 'unreachable', reason: ended.reason, unknown: false };
    const key = this.#nextKey++;
    this.#inFlight.set(key, request.id);
    try {
      const span = route.span ?? this.#owner;
      return await this.shared.forward(request, { ...route, scope: this.scope, span });
    } finally {
      this.#inFlight.delete(key);
    }
  }

  /** What the session sends for no agent request in particular is for: its capture. */
  get #owner(): SpanParent | undefined {
    return this.capture === undefined ? undefined : { capture: this.capture };
  }

  notify(message: JSONRPCNotification, _scope?: string, gone?: boolean): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return this.shared.notify(message, this.scope, gone);
  }

  /** The agent ended its session: its requests on the child are cancelled there, and settle so. */
  cancel(reason: string): Promise<void> {
    return this.#end(reason, true);
  }

  /**
   * The session ended otherwise (idle, its capture cleared, the proxy closing): the child is
   * told to stop what the session still waits for, whose outcome is unknown. The child stays.
   */
  close(reason = 'the agent session ended'): Promise<void> {
    return this.#end(reason, false);
  }

  async #end(reason: string, byAgent: boolean): Promise<void> {
    if (this.#ended) return;
    this.#ended = { reason, byAgent };
    const ids = [...this.#inFlight.values()];
    await Promise.all(
      ids.map((requestId) =>
        this.shared
          .notify(
            { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason } },
            this.scope,
            !byAgent,
          )
          .catch(() => undefined),
      ),
    );
  }
}

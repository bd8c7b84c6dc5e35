import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Observable, SchedulerLike } from 'rxjs';

import type { Tracker } from '../../tracker/Tracker.js';
import type { ProxyOutbox, ProxyOutboxOptions, UnreachableCall } from './outbox/Outbox.js';
import type {
  ProxyBackoff,
  ProxyUpstream,
  UpstreamNotice,
  UpstreamState,
} from './upstream/Upstream.js';
import type { SessionLimits } from '../endpoint/sessionLimits.js';
import type { Limits } from '../endpoint/Endpoint.js';
import type { Logger } from '../../logger.js';

/**
 * Decide which upstream tools an agent sees in a context. Whatever it returns, the proxy keeps
 * only tools the upstream listed (by name, with the upstream's own definition): never widens.
 */
export type Narrower<C> = (tools: readonly Tool[], context: C) => readonly Tool[];

/**
 * What the proxy noticed beyond requests and tool calls, shaped as the log's events of the same
 * type (`catalog.listed`, `upstream.changed`, `context.changed`).
 */
export type ProxyNotice =
  | {
      readonly type: 'catalog.listed';
      readonly data: {
        readonly server: string;
        readonly tools: readonly Tool[];
        readonly fingerprint: string;
        /** The list the outbox kept from an earlier run, served until the upstream lists. */
        readonly kept?: true;
        /** A gateway's fingerprint of the server's configuration (see `GatewayServer.config`). */
        readonly config?: string;
      };
    }
  | UpstreamNotice
  | { readonly type: 'context.changed'; readonly data: Readonly<Record<string, unknown>> };

/** The proxy's limits: the endpoint's, and how many agent sessions it keeps. */
export interface ProxyLimits extends Limits, SessionLimits {}

/** Options of `createProxy`. */
export interface ProxyOptions<C = undefined> {
  /** Every request and tool call is tracked here. */
  readonly tracker: Tracker;
  readonly upstream: ProxyUpstream;
  /** Narrow the tool list per context. Default: every upstream tool. */
  readonly narrow?: Narrower<C>;
  /** The context `narrow` first sees. */
  readonly context?: C;
  /** Default 0: a free port. The proxy binds 127.0.0.1 only. */
  readonly port?: number;
  readonly limits?: ProxyLimits;
  /**
   * An agent session with no request and no open GET stream for this long ends (its upstream
   * session too); the agent's next request gets 404 and it initializes again, as the spec
   * says. Default 600,000 (10 minutes), on the proxy's scheduler.
   */
  readonly sessionIdleMs?: number;
  readonly backoff?: ProxyBackoff;
  /**
   * How long the proxy waits for the upstream's answer to each request it sends (an agent's
   * call, its own `tools/list`, an outbox delivery), in ms of `scheduler`; each progress
   * notification for the request starts the wait again. On expiry the agent gets the SDK's
   * `-32001` "Request timed out", the upstream gets `notifications/cancelled` for it, a late
   * answer is dropped, and a `tools/call` is recorded `timed_out`. Default 60,000 (the SDK's
   * `DEFAULT_REQUEST_TIMEOUT_MSEC`). An agent's own timeout that is not longer (the SDK client's
   * is 60 s too, started before the proxy's) ends the call first: it is recorded `cancelled`.
   */
  readonly requestTimeoutMs?: number;
  /**
   * The most a request may take however much progress it reports (the SDK's `maxTotalTimeout`):
   * `-32001` "Maximum total timeout exceeded" past it. Default 600,000 (10 minutes).
   */
  readonly maxRequestTotalMs?: number;
  /**
   * How long one connection attempt may take, in ms of `scheduler`: the HTTP `initialize`, or a
   * stdio child's start and `initialize`. Past it the attempt fails (a child is stopped) and the
   * upstream is `down`, retried after `backoff` like any failed start. Default 30,000: below the
   * SDK client's 60 s, so an agent's `initialize` gets the proxy's own answer first.
   */
  readonly connectTimeoutMs?: number;
  /**
   * Every timer of the proxy (reconnection, backoff, body deadlines, the outbox worker); pass a
   * virtual scheduler in tests. Default RxJS `asyncScheduler`.
   */
  readonly scheduler?: SchedulerLike;
  /** The jitter source in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /**
   * The outbox seam: called when a `tools/call` cannot reach the upstream. Return a result to
   * answer the agent with (for example "queued"), or undefined for the -32002 error. Throw when
   * the call could not be kept: the agent gets -32002 naming the outage and the error's message;
   * throw the SDK's `McpError` to answer with its code instead (the outbox refuses arguments
   * that do not fit the tool's `inputSchema` with -32602). Not together with `outbox`, which
   * installs its own.
   */
  readonly onUnreachable?: (
    call: UnreachableCall,
  ) => CallToolResult | undefined | Promise<CallToolResult | undefined>;
  /**
   * Keep bufferable writes made while the upstream is unreachable in a durable outbox and
   * deliver them, exactly once in effect, when it is back. Not together with `onUnreachable`.
   */
  readonly outbox?: ProxyOutboxOptions;
  readonly logger?: Logger;
  /**
   * A request whose credential names a capture that is not live (never begun, or cleared) is
   * refused with 409 by default (`refuse`): it would be forwarded with nothing appended.
   * `serve` forwards such requests untracked; credentials still name one capture each.
   */
  readonly untracked?: 'refuse' | 'serve';
}

/** A running proxy. */
export interface Proxy<C = undefined> {
  /** `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  readonly port: number;
  /**
   * A bearer credential that admits one capture key and nothing else: an agent's requests are
   * tracked under that key's current generation, and its cancellations reach only its own
   * calls. Minted without any state on the proxy (an HMAC under a key it forgets on close).
   * Hand it over through the agent's environment, never argv.
   */
  readonly credential: (options: { readonly capture: string }) => string;
  readonly tracker: Tracker;
  /** Catalog, upstream health and context changes, as they happen. */
  readonly notices$: Observable<ProxyNotice>;
  /**
   * The sorted names visible under the proxy's own context, each time they change (context,
   * refresh, upstream `list_changed`) and never otherwise. Each agent session gets its own
   * `list_changed` when the names it sees change (its capture may have a context of its own).
   */
  readonly listChanged$: Observable<readonly string[]>;
  /** The upstream's state now. */
  readonly upstreamState: () => UpstreamState;
  /**
   * The tools agents see now, narrowed from the proxy's own session's last good upstream list
   * (the one `catalog.listed` notes): those of one capture's agents with `{ capture }`. An agent
   * session sees its own session's list, which the upstream may give by client.
   */
  readonly visibleTools: (scope?: { readonly capture: string }) => readonly Tool[];
  /**
   * Change the context of the whole proxy, or with `{ capture }` of that capture's agents only
   * (they keep it over the proxy's). Exactly the sessions whose visible names changed get
   * `list_changed`; a hidden tool's `tools/call` is answered as an unknown tool, and never
   * reaches the upstream.
   */
  readonly setContext: (context: C, scope?: { readonly capture: string }) => void;
  /** How many agent sessions are open. */
  readonly sessions: () => number;
  /**
   * List the upstream tools again (after a token rotation), at once even while backing off;
   * resolves with the visible tools (the cached ones when the upstream is still unreachable).
   */
  readonly refreshTools: () => Promise<readonly Tool[]>;
  /** The outbox's entries and an operator's actions on them; undefined without `outbox`. */
  readonly outbox: ProxyOutbox | undefined;
  /** How many agent SSE streams are open. */
  readonly openStreams: () => number;
  /** Stop: close agent streams, fail pending calls, stop the upstream. Idempotent. */
  readonly close: () => Promise<void>;
}

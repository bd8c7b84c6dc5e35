import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Observable, SchedulerLike } from 'rxjs';

import type { Tracker } from '../../index.js';
import type { LoopbackLimits, LoopbackLogger } from '../LoopbackServer.js';
import type { ProxyOutbox, ProxyOutboxOptions } from '../outbox/Outbox.js';

/** A Streamable HTTP upstream; `getToken` is read on every forward, so rotation is immediate. */
export interface HttpUpstream {
  readonly url: string;
  /** The upstream bearer token (without `Bearer `); undefined sends none. Never reaches agents. */
  readonly getToken?: () => string | undefined | Promise<string | undefined>;
  /** A name for events; default the URL's host. */
  readonly name?: string;
  /**
   * Called when the upstream refuses the credential (HTTP 401/403) for any request the proxy
   * sends (its initialize, an agent's request, an outbox delivery); `getToken` is read again
   * after it and the request is sent once more at once. Requests refused together share one
   * call. A second refusal, or a throw (logged), is passed on as the upstream's refusal.
   */
  readonly refreshToken?: () => void | Promise<void>;
}

/** An MCP server process spoken to over stdio, started lazily with a clean environment. */
export interface StdioUpstream {
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to the SDK's minimal default environment (PATH, HOME, …); nothing else is inherited. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** A name for events; default the command. */
  readonly name?: string;
}

/** Where the proxy forwards to. */
export type ProxyUpstream = HttpUpstream | StdioUpstream;

/**
 * Decide which upstream tools an agent sees in a context. Whatever it returns, the proxy keeps
 * only tools the upstream listed (by name, with the upstream's own definition): never widens.
 */
export type Narrower<C> = (tools: readonly Tool[], context: C) => readonly Tool[];

/**
 * Whether the upstream answers, as the proxy sees it. `exited`: a stdio child that served
 * requests ended, and the next request starts another; one that ended before answering any is
 * a failed start, shown as `down` with the wait before the next.
 */
export type UpstreamState = 'connecting' | 'up' | 'down' | 'exited' | 'closed';

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
      };
    }
  | {
      readonly type: 'upstream.changed';
      readonly data: {
        readonly server: string;
        readonly state: UpstreamState;
        /** Why it went down or exited: the error, or the exit code and stderr tail. */
        readonly reason?: string;
        /** When down: the next attempt (connection or child start) is this many ms from now. */
        readonly retryInMs?: number;
        /** A line the upstream process wrote to stderr (state unchanged). */
        readonly stderr?: string;
      };
    }
  | { readonly type: 'context.changed'; readonly data: Readonly<Record<string, unknown>> };

/** A tool call the upstream could not take (unreachable, child gone): the outbox seam. */
export interface UnreachableCall {
  readonly toolName: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The tool's definition from the last upstream list, if it was listed. */
  readonly tool: Tool | undefined;
  readonly reason: string;
  /** True when the call may have reached the upstream (it went away while the call was out). */
  readonly unknown?: boolean;
}

/**
 * Backoff of reconnection attempts and of restarts of a stdio child that keeps ending before it
 * answers: a draw in `[c / 2, c]`, `c = min(maxMs, baseMs * 2^(attempt - 1))` ("equal jitter").
 */
export interface ProxyBackoff {
  /** Default 250. */
  readonly baseMs?: number;
  /** Default 30,000. */
  readonly maxMs?: number;
}

/** Options of `createProxy`. */
export interface ProxyOptions<C = undefined> {
  /** Every request and tool call is tracked here. */
  readonly tracker: Tracker;
  readonly upstream: ProxyUpstream;
  /** The secret agents present as `Authorization: Bearer …`. Default: minted at start. */
  readonly auth?: { readonly secret?: string };
  /** Narrow the tool list per context. Default: every upstream tool. */
  readonly narrow?: Narrower<C>;
  /** The context `narrow` first sees. */
  readonly context?: C;
  /** Default 0: a free port. The proxy binds 127.0.0.1 only. */
  readonly port?: number;
  readonly limits?: LoopbackLimits;
  readonly backoff?: ProxyBackoff;
  /** Timers for reconnection; pass a virtual scheduler in tests. Default RxJS `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** The jitter source in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /**
   * The outbox seam: called when a `tools/call` cannot reach the upstream. Return a result to
   * answer the agent with (for example "queued"), or undefined for the -32002 error. Throw when
   * the call could not be kept: the agent gets -32002 naming the outage and the error's message.
   * Not together with `outbox`, which installs its own.
   */
  readonly onUnreachable?: (
    call: UnreachableCall,
  ) => CallToolResult | undefined | Promise<CallToolResult | undefined>;
  /**
   * Keep bufferable writes made while the upstream is unreachable in a durable outbox and
   * deliver them, exactly once in effect, when it is back. Not together with `onUnreachable`.
   */
  readonly outbox?: ProxyOutboxOptions;
  readonly logger?: LoopbackLogger;
}

/** A running proxy. */
export interface Proxy<C = undefined> {
  /** `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  readonly port: number;
  /** The secret agents must present. Hand it over through the environment, never argv. */
  readonly secret: string;
  readonly tracker: Tracker;
  /** Catalog, upstream health and context changes, as they happen. */
  readonly notices$: Observable<ProxyNotice>;
  /**
   * The sorted visible tool names, each time they change (context, refresh, upstream
   * `list_changed`) and never otherwise; agents' SSE streams get `list_changed` on each.
   */
  readonly listChanged$: Observable<readonly string[]>;
  /** The upstream's state now. */
  readonly upstreamState: () => UpstreamState;
  /** The tools agents see now (narrowed from the last good upstream list). */
  readonly visibleTools: () => readonly Tool[];
  /** Change the context; agents get `list_changed` if their visible names changed. */
  readonly setContext: (context: C) => void;
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

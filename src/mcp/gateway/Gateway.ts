import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Observable, SchedulerLike } from 'rxjs';

import type { Inventory } from '../../projections/inventory.js';
import type { Tracker } from '../../tracker/Tracker.js';
import type { Logger } from '../../logger.js';
import type { ProxyOutbox, ProxyOutboxOptions } from '../proxy/outbox/Outbox.js';
import type { Narrower, ProxyLimits, ProxyNotice } from '../proxy/Proxy.js';
import type { ProxyBackoff, ProxyUpstream, UpstreamState } from '../proxy/upstream/Upstream.js';

/** One server behind a gateway, with what the gateway keeps for it. */
export interface GatewayServer {
  readonly upstream: ProxyUpstream;
  /**
   * Keep bufferable writes made while this server is unreachable in a durable outbox of its
   * own (see `ProxyOptions.outbox`), delivered when it is back.
   */
  readonly outbox?: ProxyOutboxOptions;
  /**
   * The fingerprint of the server's configuration, noted in `gateway.configured` and with every
   * `catalog.listed`: the inventory calls a catalog stale when it differs. Default: one computed
   * from the upstream's fields (functions left out). `gatewayServers` sets it from the entry.
   */
  readonly config?: string;
  /**
   * What this server's tools' and prompts' names start with, before `__`: default the server's
   * name. `''` keeps the server's own names (collisions with other servers still get suffixes):
   * for a gateway that takes the place of a proxy whose agents know the names already.
   */
  readonly prefix?: string;
}

/** Options of `createGateway`. */
export interface GatewayOptions<C = undefined> {
  /** Every request and tool call is tracked here. */
  readonly tracker: Tracker;
  /**
   * The servers, by name (the `mcpServers` keys: `gatewayServers(parseMcpServers(text), env)`
   * builds this from a config file). Their tools appear as `<server>__<tool>`.
   */
  readonly servers: Readonly<Record<string, ProxyUpstream | GatewayServer>>;
  /**
   * Narrow what agents see, over the gateway's names (`<server>__<tool>`). Whatever it returns,
   * only tools a server listed count: never widens. Default: every tool.
   */
  readonly narrow?: Narrower<C>;
  /** The context `narrow` first sees. */
  readonly context?: C;
  /** Tool names the host uses for its own tools: the gateway never gives them out. */
  readonly reserved?: readonly string[];
  /** Default 0: a free port. The gateway binds 127.0.0.1 only. */
  readonly port?: number;
  readonly limits?: ProxyLimits;
  /** See `ProxyOptions.sessionIdleMs`. Default 600,000. */
  readonly sessionIdleMs?: number;
  readonly backoff?: ProxyBackoff;
  /** See `ProxyOptions.requestTimeoutMs`. Default 60,000, for every server. */
  readonly requestTimeoutMs?: number;
  /** See `ProxyOptions.maxRequestTotalMs`. Default 600,000. */
  readonly maxRequestTotalMs?: number;
  /** See `ProxyOptions.connectTimeoutMs`. Default 30,000. */
  readonly connectTimeoutMs?: number;
  /**
   * How long an agent's `tools/list` waits for a server that has not answered yet (it is
   * starting, or hangs) before answering without it: that server's tools come from its last good
   * list if there is one, and the agent gets `list_changed` once they arrive. Default 5,000.
   */
  readonly listWaitMs?: number;
  /** Every timer of the gateway; pass a virtual scheduler in tests. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** The jitter source in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** See `ProxyOptions.untracked`. Default `refuse`. */
  readonly untracked?: 'refuse' | 'serve';
}

/** One server's state now, as the gateway sees it. */
export interface GatewayServerState {
  readonly name: string;
  readonly state: UpstreamState | 'idle';
}

/** A running gateway. */
export interface Gateway<C = undefined> {
  /** `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  readonly port: number;
  /** A bearer credential that admits one capture key (see `Proxy.credential`). */
  readonly credential: (options: { readonly capture: string }) => string;
  readonly tracker: Tracker;
  /** Catalogs, server health and context changes, as they happen. */
  readonly notices$: Observable<ProxyNotice>;
  /** Each server's state: `idle` until something first needs it (servers start lazily). */
  readonly servers: () => readonly GatewayServerState[];
  /**
   * What the agents of a capture (or of the whole host) can use now, from the log alone: every
   * configured server with its tools under their gateway names, after narrowing, or a notice.
   * Never connects, lists or starts anything.
   */
  readonly inventory: (scope?: {
    readonly capture?: string;
    readonly session?: string;
  }) => Inventory;
  /**
   * The tools agents of `capture` (or of the gateway's own context) see now, from every server's
   * last good list, by their gateway names.
   */
  readonly visibleTools: (scope?: { readonly capture: string }) => readonly Tool[];
  /** Change the context (see `Proxy.setContext`); agents whose visible names changed are told. */
  readonly setContext: (context: C, scope?: { readonly capture: string }) => void;
  /** How many agent sessions are open. */
  readonly sessions: () => number;
  /** A server's outbox, if it has one. */
  readonly outbox: (server: string) => ProxyOutbox | undefined;
  /** How many agent SSE streams are open. */
  readonly openStreams: () => number;
  /** Stop: end agent sessions, stop every server. Idempotent. */
  readonly close: () => Promise<void>;
}

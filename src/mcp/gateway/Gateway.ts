import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Observable } from 'rxjs';

import type { Inventory } from '../../projections/inventory.js';
import type { Tracker } from '../../tracker/Tracker.js';
import type { ProxyOutbox, ProxyOutboxOptions } from '../proxy/outbox/Outbox.js';
import type { Narrower, ProxyNotice, ProxyOptions } from '../proxy/Proxy.js';
import type { ProxyUpstream, UpstreamState } from '../proxy/upstream/Upstream.js';

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

/**
 * What a gateway takes as the proxy does, for every server alike (each documented on
 * `ProxyOptions`): limits, sessions, backoff, deadlines, timers, the logger, untracked captures.
 */
type SharedOptions = Pick<
  ProxyOptions,
  | 'tracker'
  | 'port'
  | 'limits'
  | 'sessionIdleMs'
  | 'backoff'
  | 'requestTimeoutMs'
  | 'maxRequestTotalMs'
  | 'connectTimeoutMs'
  | 'scheduler'
  | 'random'
  | 'logger'
  | 'untracked'
>;

/** Options of `createGateway`; the proxy's shared ones are documented on `ProxyOptions`. */
export interface GatewayOptions<C = undefined> extends SharedOptions {
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
  /**
   * How long an agent's `tools/list` waits for a server that has not answered yet (it is
   * starting, or hangs) before answering without it: that server's tools come from its last good
   * list if there is one, and the agent gets `list_changed` once they arrive. Default 5,000.
   */
  readonly listWaitMs?: number;
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

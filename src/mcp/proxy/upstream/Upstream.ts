// Where a proxy (or a gateway) forwards to, and how it reconnects.

/** A Streamable HTTP upstream; `getToken` is read on every forward, so rotation is immediate. */
export interface HttpUpstream {
  readonly url: string;
  /** The upstream bearer token (without `Bearer `); undefined sends none. Never reaches agents. */
  readonly getToken?: () => string | undefined | Promise<string | undefined>;
  /** A name for events; default the URL's host. */
  readonly name?: string;
  /**
   * Headers sent on every request to the upstream (each POST, the session's GET stream, its
   * `DELETE`): an API key, a tenant. An `Authorization` given here is sent unless `getToken`
   * gives a token. Their values are treated as the token is: never logged, and masked in
   * whatever the upstream says back before an agent, a log line or an event sees it. The
   * headers the proxy sets itself or that belong to one connection hop (`host`,
   * `content-length`, `content-type`, `accept`, `accept-encoding`, `mcp-session-id`,
   * `mcp-protocol-version`, `last-event-id`, `connection`, `keep-alive`, `transfer-encoding`,
   * `te`, `trailer`, `upgrade`, `expect`…) are refused by `createProxy`.
   *
   * @example
   * createProxy({ tracker, upstream: { url, headers: { 'X-Api-Key': process.env.API_KEY! } } });
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Called when the upstream refuses the credential (HTTP 401/403) for any request the proxy
   * sends (its initialize, an agent's request, an outbox delivery); `getToken` is read again
   * after it and the request is sent once more at once. Requests refused together share one
   * call. A second refusal, or a throw (logged), is passed on as the upstream's refusal.
   * Without it, a refused `initialize` leaves the upstream down with no retry timer: the next
   * agent request (or `refreshTools`) tries once more, in case `getToken` changed.
   */
  readonly refreshToken?: () => void | Promise<void>;
  /**
   * Values to mask wherever the upstream's text is shown (its errors, notices, what reaches an
   * agent from it), as its token is: `resolveUpstream` lists the values it took from `${VAR}`s.
   */
  readonly secrets?: readonly string[];
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
  /**
   * Values to mask in what the process says (stderr, its exit's tail, errors) besides the
   * values of its secret-looking variables: `resolveUpstream` lists the values it took from
   * `${VAR}`s, whatever their names (an `OPENAI_KEY`, a password passed as an argument).
   */
  readonly secrets?: readonly string[];
  /**
   * Share one child among every agent session, for a server known to be stateless. Default
   * false: each agent session gets a child of its own, started with it (introduced with the
   * agent's own `clientInfo` and capabilities) and ended with it.
   *
   * Shared, every session sends over the proxy's own child, so what is lost is what a child per
   * agent gave: the agent's `clientInfo` and capabilities are not sent upstream (the child knows
   * the proxy's, with no capabilities); requests from the child to an agent (sampling,
   * elicitation, roots) cannot be routed to one and are answered `-32601`; notifications not
   * tied to an agent's request are dropped, and over stdio only a progress token ties one
   * (progress still reaches the agent whose request it is), so log lines and resource updates
   * are dropped; what one agent sets on the server
   * (`resources/subscribe`, `logging/setLevel`) is set for all. Kept: calls, tracking, narrowing
   * (enforced at `tools/call`), deadlines, the outbox, cancellation (an agent's cancel, or its
   * `DELETE`, stops its own requests only). A session ending never ends the child; a child that
   * exits is started again by the next request, and no session ends with it. Only for stdio:
   * `createProxy` refuses it for an HTTP upstream, whose sessions cost no process.
   *
   * @example
   * createProxy({ tracker, upstream: { command: 'node', args: ['calc-server.js'], shared: true } });
   */
  readonly shared?: boolean;
}

/** Where the proxy forwards to. */
export type ProxyUpstream = HttpUpstream | StdioUpstream;

/**
 * Whether the upstream answers, as the proxy sees it. `exited`: the proxy's own stdio child (the
 * catalog's, the outbox's) ended after it served requests, and the next request starts another;
 * one that ended before answering any is a failed start, shown as `down` with the wait before
 * the next. An agent session's own child that ends after it served ends that session only.
 */
export type UpstreamState = 'connecting' | 'up' | 'down' | 'exited' | 'closed';

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

/** A change of the upstream's health, shaped as the log's `upstream.changed` event. */
export type UpstreamNotice = {
  readonly type: 'upstream.changed';
  readonly data: {
    readonly server: string;
    readonly state: UpstreamState;
    /** Why it went down or exited: the error, or the exit code and stderr tail. */
    readonly reason?: string;
    /**
     * When down: the next attempt (connection or child start) is this many ms from now. Absent
     * when nothing retries on a timer (a refused credential without `refreshToken`).
     */
    readonly retryInMs?: number;
    /** A line the upstream process wrote to stderr (state unchanged). */
    readonly stderr?: string;
  };
};

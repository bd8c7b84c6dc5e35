/** The schema version written in every event's `v`. */
export const EVENT_VERSION = 1;

/** How a tool call ended, as the host or server saw it. */
export type ToolCallOutcome =
  'completed' | 'blocked' | 'cancelled' | 'failed' | 'timed_out' | 'unknown';

/** Every outcome a `toolCall.result` may carry. */
export const TOOL_CALL_OUTCOMES: readonly ToolCallOutcome[] = [
  'completed',
  'blocked',
  'cancelled',
  'failed',
  'timed_out',
  'unknown',
];

/** JSON arguments of a tool call: always an object, as MCP's `tools/call` requires. */
export type ToolArgs = Record<string, unknown>;

/**
 * The W3C trace context of one span, as the log keeps it (lowercase hex): a span projected from
 * the log carries exactly these ids, so a recording replays to the same trace it was live.
 */
export interface TraceFacts {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits: the span's own id. */
  readonly spanId: string;
  /** 16 hex digits: the parent span (the agent's, from `params._meta.traceparent`). */
  readonly parent?: string;
  /** The W3C trace flags (1: sampled). Default 1. */
  readonly flags?: number;
  /** `tracestate` as it arrived with the parent. */
  readonly state?: string;
  /** The ambient context (the HTTP request's own `traceparent` header): linked, not a parent. */
  readonly link?: { readonly traceId: string; readonly spanId: string; readonly flags?: number };
}

/** A network peer: `client.address` / `client.port`, `server.address` / `server.port`. */
export interface PeerFacts {
  readonly address: string;
  readonly port?: number;
}

/** A JSON-RPC error, as an answer carried it. */
export interface RpcErrorFacts {
  readonly code: number;
  readonly message: string;
}

/** What an MCP endpoint learned of an agent's JSON-RPC message when it classified the request. */
export interface RpcFacts {
  /** The JSON-RPC id; absent for a notification. */
  readonly id?: string | number;
  /** The MCP session (`Mcp-Session-Id`) it belongs to. */
  readonly session?: string;
  /** The tool (`tools/call`) or prompt (`prompts/get`) it names. */
  readonly target?: string;
  /** The resource URI (`resources/read`, `resources/subscribe`, `resources/unsubscribe`). */
  readonly uri?: string;
  /** The agent's end of the connection. */
  readonly client?: PeerFacts;
  /** The span the endpoint opened for it. */
  readonly trace?: TraceFacts;
}

interface Envelope<T extends string> {
  /** Schema version. */
  readonly v: typeof EVENT_VERSION;
  /** Gapless position in its log, from 1, assigned on append. */
  readonly seq: number;
  /** Milliseconds from the tracker's injected clock. */
  readonly at: number;
  readonly type: T;
}

interface InCapture<T extends string> extends Envelope<T> {
  /** The capture key. */
  readonly capture: string;
  /** The generation of the key this event belongs to. */
  readonly gen: number;
}

interface OfEntity<T extends string, D> extends InCapture<T> {
  /** The request (`rq_…`) or tool call (`tc_…`) the event is about. */
  readonly id: string;
  readonly data: D;
}

/** A capture event is about the generation itself: it has no entity and no data. */
interface OfCapture<T extends string> extends InCapture<T> {
  readonly id?: undefined;
  readonly data?: undefined;
}

export type CaptureBegun = OfCapture<'capture.begun'>;
export type CaptureCleared = OfCapture<'capture.cleared'>;
export type CaptureYielded = OfEntity<'capture.yielded', { readonly message: string }>;
export type RequestStarted = OfEntity<'request.started', Record<string, never>>;
export type RequestClassified = OfEntity<
  'request.classified',
  {
    readonly method?: string;
    /** What an MCP endpoint learned of the JSON-RPC message (spans are made of it). */
    readonly rpc?: RpcFacts;
  }
>;
export type RequestFinished = OfEntity<
  'request.finished',
  {
    readonly status?: number;
    /** The JSON-RPC error the agent was answered with, if any. */
    readonly error?: RpcErrorFacts;
  }
>;
export type ToolCallStarted = OfEntity<
  'toolCall.started',
  { readonly request?: string; readonly toolName: string; readonly args: ToolArgs }
>;
export type ToolCallPrepared = OfEntity<
  'toolCall.prepared',
  { readonly toolName: string; readonly args: ToolArgs }
>;
export type ToolCallResult = OfEntity<
  'toolCall.result',
  {
    readonly outcome: ToolCallOutcome;
    readonly isError: boolean;
    readonly result?: unknown;
    readonly reason?: string;
  }
>;
export type ToolCallFinished = OfEntity<'toolCall.finished', { readonly prepared: boolean }>;

/** A host observer or bus subscriber threw; the host's path went on unchanged. */
export interface ObserverFailed extends Envelope<'observer.failed'> {
  readonly capture?: string;
  readonly gen?: number;
  readonly id?: string;
  readonly data: { readonly hook: string; readonly message: string };
}

interface Loose<T extends string, D> extends Envelope<T> {
  readonly capture?: string;
  readonly gen?: number;
  readonly id?: string;
  readonly data: D;
}

export type CatalogListed = Loose<
  'catalog.listed',
  {
    readonly server: string;
    readonly tools: readonly unknown[];
    readonly fingerprint: string;
    /** True when the list is the copy an outbox kept from an earlier run, not a fresh one. */
    readonly kept?: boolean;
    /**
     * A gateway's fingerprint of the server's configuration when it listed: the inventory calls
     * a catalog stale once the configuration's fingerprint differs.
     */
    readonly config?: string;
  }
>;
export type ContextChanged = Loose<'context.changed', Readonly<Record<string, unknown>>>;
export type UpstreamChanged = Loose<
  'upstream.changed',
  {
    readonly server: string;
    readonly state: string;
    /** Why it went down or exited. */
    readonly reason?: string;
    /** When down: the next attempt is due this many ms later. */
    readonly retryInMs?: number;
    /** A line the upstream process wrote to stderr (state unchanged). */
    readonly stderr?: string;
  }
>;

/**
 * Written in place of events the store could not keep: the events with seq `seq` to `through`
 * were published live but are missing from this log (the store failed, and more events came
 * than the tracker holds for it). Only a store sees it; readers report the log as incomplete.
 */
export type LogGap = Loose<
  'log.gap',
  {
    /** The last missing seq; the next event in the log has seq `through + 1`. */
    readonly through: number;
    /** Why they are missing: the store's error. */
    readonly reason: string;
  }
>;

/**
 * An agent was asked something (elicitation, sampling, roots), by an upstream through the proxy
 * or by a loopback server's tool: until the matching `agent.answered`, the call it names waits
 * on the agent.
 */
export type AgentAsked = Loose<
  'agent.asked',
  {
    /** The request's method: `elicitation/create`, `sampling/createMessage`, `roots/list`. */
    readonly method: string;
    /** The id the agent got it under (unique per session). */
    readonly relay: string;
    /** The tool call it came from, when it came on that call's answer stream. */
    readonly toolCall?: string;
  }
>;

/** The agent answered (or the session ended first: `error`). */
export type AgentAnswered = Loose<
  'agent.answered',
  {
    readonly method: string;
    readonly relay: string;
    readonly toolCall?: string;
    /** Why there was no result: the agent's error message, or the session ending. */
    readonly error?: string;
  }
>;

/** One server of a gateway's configuration, as `gateway.configured` notes it. */
export interface ConfiguredServer {
  /** The server's name: the key of its `mcpServers` entry. */
  readonly name: string;
  /** The fingerprint of its configuration (never its secrets: the entry before expansion). */
  readonly config: string;
  readonly transport: 'stdio' | 'http';
  /** What its tools' names start with, where it is not `name` (`''`: the tools' own names). */
  readonly prefix?: string;
}

/** A gateway started with these servers (the inventory's list of what is configured). */
export type GatewayConfigured = Loose<
  'gateway.configured',
  { readonly servers: readonly ConfiguredServer[] }
>;

/** An agent's MCP session opened on an endpoint (the proxy, the gateway, a loopback server). */
export type SessionOpened = Loose<
  'session.opened',
  {
    /** `Mcp-Session-Id`. */
    readonly session: string;
    /** The protocol version the session speaks. */
    readonly protocolVersion?: string;
    /** `tcp` for Streamable HTTP, `pipe` for stdio. */
    readonly transport: 'tcp' | 'pipe';
    /** Where the endpoint listens. */
    readonly server?: PeerFacts;
    /** The agent's `clientInfo`. */
    readonly clientName?: string;
    readonly clientVersion?: string;
  }
>;

/** The session ended: DELETE, idle timeout, the endpoint closing. */
export type SessionClosed = Loose<
  'session.closed',
  { readonly session: string; readonly reason: string }
>;

/** How one request sent upstream ended. */
export type UpstreamOutcome =
  /** A result (for `tools/call`, `isError` false). */
  | 'result'
  /** A `tools/call` result with `isError` true. */
  | 'tool_error'
  /** A JSON-RPC error (`code`, `message`). */
  | 'error'
  /** The upstream refused the HTTP request, or no longer knew the session. */
  | 'refused'
  | 'timed_out'
  | 'cancelled'
  /** Never reached it, or the connection went away before the answer. */
  | 'unreachable';

/** A proxy or gateway sent a request upstream (the client span's start). */
export type UpstreamRequested = Loose<
  'upstream.requested',
  {
    /** The upstream's name (a gateway's server). */
    readonly server: string;
    readonly method: string;
    /** The id the upstream got it under. */
    readonly rpcId?: string | number;
    /** The upstream's session, when it gave one. */
    readonly session?: string;
    readonly protocolVersion?: string;
    readonly target?: string;
    readonly uri?: string;
    readonly transport: 'tcp' | 'pipe';
    /** The upstream's address (HTTP). */
    readonly peer?: PeerFacts;
    /** The agent's request that caused it (`rq_…`), when one did. */
    readonly request?: string;
    /** The tool call it carries (`tc_…`). */
    readonly toolCall?: string;
    /** The outbox entry it delivers. */
    readonly outbox?: string;
    /** The client span: its `traceparent` went upstream in `params._meta`. */
    readonly trace: TraceFacts;
  }
>;

/** The request `upstream.requested` sent (same `trace.spanId` as `span`) got its answer. */
export type UpstreamAnswered = Loose<
  'upstream.answered',
  {
    readonly server: string;
    /** The client span's id: `upstream.requested`'s `trace.spanId`. */
    readonly span: string;
    readonly outcome: UpstreamOutcome;
    readonly error?: RpcErrorFacts;
    /** Why, for the outcomes without a JSON-RPC error. */
    readonly reason?: string;
  }
>;

/** A host waited for a capture to go idle (`waitForIdle`), and this is what it got. */
export type IdleWaited = Loose<
  'idle.waited',
  {
    /** `idle`, or `timed_out` when the timeout came first. */
    readonly result: 'idle' | 'timed_out';
    readonly waitedMs: number;
    /** Absent for a wait without a timeout (`Infinity`). */
    readonly timeoutMs?: number;
    readonly admissionGraceMs: number;
  }
>;

/** The events that belong to no machine: facts a host or an MCP part notes in the log. */
export type NoteEvent =
  | CatalogListed
  | ContextChanged
  | UpstreamChanged
  | OutboxEnqueued
  | OutboxDelivered
  | OutboxRejected
  | AgentAsked
  | AgentAnswered
  | GatewayConfigured
  | SessionOpened
  | SessionClosed
  | UpstreamRequested
  | UpstreamAnswered
  | IdleWaited;
type OutboxData = {
  readonly key: string;
  readonly tool: string;
  readonly reason?: string;
  /** The tool call that was queued (`outbox.enqueued`), or that the delivery belongs to. */
  readonly toolCall?: string;
};
export type OutboxEnqueued = Loose<'outbox.enqueued', OutboxData>;
export type OutboxDelivered = Loose<'outbox.delivered', OutboxData>;
export type OutboxRejected = Loose<'outbox.rejected', OutboxData>;

/** Every event toolflight writes. Extend the union; never change a published shape. */
export type ToolflightEvent =
  | CaptureBegun
  | CaptureCleared
  | CaptureYielded
  | RequestStarted
  | RequestClassified
  | RequestFinished
  | ToolCallStarted
  | ToolCallPrepared
  | ToolCallResult
  | ToolCallFinished
  | ObserverFailed
  | CatalogListed
  | ContextChanged
  | UpstreamChanged
  | OutboxEnqueued
  | OutboxDelivered
  | OutboxRejected
  | AgentAsked
  | AgentAnswered
  | GatewayConfigured
  | SessionOpened
  | SessionClosed
  | UpstreamRequested
  | UpstreamAnswered
  | IdleWaited
  | LogGap;

/** The `type` of any toolflight event. */
export type ToolflightEventType = ToolflightEvent['type'];

/** Narrow the union by type: `EventOf<'toolCall.result'>`. */
export type EventOf<T extends ToolflightEventType> = Extract<ToolflightEvent, { type: T }>;

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
export type RequestClassified = OfEntity<'request.classified', { readonly method?: string }>;
export type RequestFinished = OfEntity<'request.finished', { readonly status?: number }>;
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
  | GatewayConfigured;
type OutboxData = { readonly key: string; readonly tool: string; readonly reason?: string };
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
  | LogGap;

/** The `type` of any toolflight event. */
export type ToolflightEventType = ToolflightEvent['type'];

/** Narrow the union by type: `EventOf<'toolCall.result'>`. */
export type EventOf<T extends ToolflightEventType> = Extract<ToolflightEvent, { type: T }>;

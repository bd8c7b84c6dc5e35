// @internal What the projection keeps of each request and tool call while its span is open, and
// of each capture generation while it is current or has work open.
import type { Span } from '@opentelemetry/api';

import type { Peer, Trace } from './facts.js';
import type { SessionFacts } from './sessions.js';
import type { SpanError, ToolCallReport } from './spanErrors.js';

/** One capture generation: its in-flight count and how many of its entities are followed. */
export interface Generation {
  readonly capture: string;
  readonly gen: number;
  /** The key's newest generation: kept (for its in-flight gauge) while nothing is open. */
  current: boolean;
  inFlight: number;
  /**
   * Its requests and tool calls still followed (a finished request may wait for its merged
   * call). A count, not a set: a set per generation cost an insert and a delete per entity on
   * the hot path, and only a clear (rare) needs to find them, in the maps.
   */
  followed: number;
}

/** A request, from `request.started` until its span ends. */
export interface RequestEntry {
  readonly id: string;
  readonly generation: Generation;
  readonly startedAt: number;
  method: string | undefined;
  rpcId: string | undefined;
  session: string | undefined;
  target: string | undefined;
  uri: string | undefined;
  client: Peer | undefined;
  trace: Trace | undefined;
  /** Looked up when the span starts, again when it ends if the session opened meanwhile. */
  sessionFacts: SessionFacts | undefined;
  /** Whether the span was started (it may be undefined after a provider's throw). */
  started: boolean;
  span: Span | undefined;
  finishedAt: number | undefined;
  status: number | undefined;
  error: SpanError | undefined;
  /** The tool call merged into this span (the first of a `tools/call`), while it is known. */
  call: ToolCallEntry | undefined;
  merged: boolean;
}

/** A tool call, from `toolCall.started` until its span ends (or it leaves its request's). */
export interface ToolCallEntry {
  readonly id: string;
  readonly generation: Generation;
  readonly startedAt: number;
  toolName: string | undefined;
  readonly args: unknown;
  preparedArgs: unknown;
  prepared: boolean | undefined;
  report: ToolCallReport | undefined;
  finished: boolean;
  /** The request whose span this call is merged into; undefined for a call with its own span. */
  readonly mergedInto: RequestEntry | undefined;
  readonly span: Span | undefined;
}

/** A request just started: nothing known of it but where it stands and when. */
export function newRequestEntry(id: string, generation: Generation, at: number): RequestEntry {
  return {
    id,
    generation,
    startedAt: at,
    method: undefined,
    rpcId: undefined,
    session: undefined,
    target: undefined,
    uri: undefined,
    client: undefined,
    trace: undefined,
    sessionFacts: undefined,
    started: false,
    span: undefined,
    finishedAt: undefined,
    status: undefined,
    error: undefined,
    call: undefined,
    merged: false,
  };
}

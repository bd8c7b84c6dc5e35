// @internal The SERVER span of each agent request and the span of each tool call, folded from the
// lifecycle events. The first tool call of a `tools/call` request is that request's span (its
// facts join it); any other call is its own INTERNAL span, a child of its request's.
import {
  createTraceState,
  SpanKind,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

import { maskSecrets, maskText } from '../events/maskSecrets.js';
import { derivedSpanId, derivedTraceId, entityKey } from './derivedIds.js';
import {
  fieldsOf,
  numberOf,
  peerOf,
  rpcIdOf,
  textOf,
  traceOf,
  type Fields,
  type Peer,
  type Trace,
} from './facts.js';
import type { ProjectionMetrics } from './projectionMetrics.js';
import type { SessionFacts, Sessions } from './sessions.js';
import { metricAttributes, operationAttributes, putPeer, spanName } from './spanAttributes.js';
import {
  outcomeError,
  recordError,
  rpcError,
  toolError,
  type SpanError,
  type ToolCallReport,
} from './spanErrors.js';
import type { SpanStarter } from './spanStarter.js';

/** One capture generation: its in-flight count and the entities whose spans are still open. */
interface Generation {
  readonly capture: string;
  readonly gen: number;
  /** The key's newest generation: kept (for its in-flight gauge) while nothing is open. */
  current: boolean;
  inFlight: number;
  readonly requests: Set<RequestEntry>;
  readonly toolCalls: Set<ToolCallEntry>;
}

interface RequestEntry {
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

interface ToolCallEntry {
  readonly id: string;
  readonly generation: Generation;
  readonly startedAt: number;
  toolName: string | undefined;
  readonly args: unknown;
  preparedArgs: unknown;
  prepared: boolean | undefined;
  report: ToolCallReport | undefined;
  outboxKey: string | undefined;
  finished: boolean;
  /** The request whose span this call is merged into; undefined for a call with its own span. */
  readonly mergedInto: RequestEntry | undefined;
  readonly span: Span | undefined;
}

/** The envelope of a lifecycle event, checked. */
export interface Entity {
  readonly capture: string;
  readonly gen: number;
  readonly id: string;
  readonly at: number;
  readonly data: Fields | undefined;
}

/** Follows requests and tool calls; only what is still open is kept. */
export class ServerSpans {
  private readonly generations = new Map<number, Generation>();
  private readonly currentOf = new Map<string, Generation>();
  private readonly requests = new Map<string, RequestEntry>();
  private readonly toolCalls = new Map<string, ToolCallEntry>();

  constructor(
    private readonly spans: SpanStarter,
    private readonly sessions: Sessions,
    private readonly metrics: ProjectionMetrics | undefined,
    private readonly captureContent: boolean,
  ) {}

  /** Requests and tool calls started and not finished, per capture key (the gauge). */
  inFlight(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { capture, inFlight } of this.generations.values()) {
      counts.set(capture, (counts.get(capture) ?? 0) + inFlight);
    }
    return counts;
  }

  begun(capture: string, gen: number): void {
    this.generation(capture, gen);
  }

  /** `capture.cleared`: its work can no longer finish, so its open spans end now, unfinished. */
  cleared(capture: string, gen: number, at: number): void {
    const generation = this.generations.get(gen);
    if (generation === undefined || generation.capture !== capture) return;
    this.endGeneration(generation, at);
    this.generations.delete(gen);
    if (this.currentOf.get(capture) === generation) this.currentOf.delete(capture);
  }

  /**
   * End every open span at `at`, marked `toolflight.unfinished`. The current generations stay,
   * with nothing in flight, so that the in-flight gauge reads 0 for them, not its last value.
   */
  endAll(at: number): void {
    for (const entry of this.requests.values()) this.endRequest(entry, at, true);
    for (const entry of this.toolCalls.values()) this.endToolCall(entry, at, true);
    this.requests.clear();
    this.toolCalls.clear();
    for (const generation of this.generations.values()) {
      generation.inFlight = 0;
      this.retire(generation);
    }
  }

  requestStarted({ capture, gen, id, at }: Entity): void {
    const generation = this.generation(capture, gen);
    const previous = this.requests.get(id);
    // A hostile log that starts an id twice: the first one's span ends where the second starts.
    if (previous !== undefined) this.endRequest(previous, at, true);
    const entry: RequestEntry = {
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
    this.requests.set(id, entry);
    generation.requests.add(entry);
    generation.inFlight += 1;
  }

  /** The SERVER span starts here, once its ids and parent (`rpc.trace`) are known. */
  requestClassified(event: Entity): void {
    const entry = this.request(event);
    if (entry === undefined || entry.finishedAt !== undefined) return;
    const rpc = fieldsOf(event.data?.rpc);
    entry.method = textOf(event.data?.method);
    entry.rpcId = rpcIdOf(rpc?.id);
    entry.session = textOf(rpc?.session);
    entry.target = textOf(rpc?.target);
    entry.uri = textOf(rpc?.uri);
    entry.client = peerOf(rpc?.client);
    entry.trace = traceOf(rpc?.trace);
    if (!entry.started) {
      this.startRequestSpan(entry);
      return;
    }
    // Started early (a tool call came before the classification): ids and parent stay.
    entry.span?.updateName(this.requestName(entry));
    entry.span?.setAttributes(this.requestAttributes(entry));
  }

  requestFinished(event: Entity): void {
    const entry = this.request(event);
    if (entry === undefined || entry.finishedAt !== undefined) return;
    entry.finishedAt = event.at;
    entry.status = numberOf(event.data?.status);
    entry.error = rpcError(event.data?.error);
    entry.generation.inFlight -= 1;
    // A merged call still running keeps the span open: it ends when the call does.
    if (entry.call === undefined || entry.call.finished) this.endRequest(entry, event.at, false);
    else this.retire(entry.generation);
  }

  toolCallStarted({ capture, gen, id, at, data }: Entity): void {
    const generation = this.generation(capture, gen);
    const previous = this.toolCalls.get(id);
    if (previous !== undefined) this.endToolCall(previous, at, true);
    const requestId = textOf(data?.request);
    const request = requestId === undefined ? undefined : this.requests.get(requestId);
    const toolName = textOf(data?.toolName);
    if (request !== undefined && !request.started) this.startRequestSpan(request);
    const merges =
      request !== undefined &&
      request.method === 'tools/call' &&
      !request.merged &&
      request.finishedAt === undefined;
    const entry: ToolCallEntry = {
      id,
      generation,
      startedAt: at,
      toolName,
      args: data?.args,
      preparedArgs: undefined,
      prepared: undefined,
      report: undefined,
      outboxKey: undefined,
      finished: false,
      mergedInto: merges ? request : undefined,
      span: merges ? undefined : this.startToolCallSpan(id, generation, at, toolName, requestId),
    };
    if (merges) {
      request.merged = true;
      request.call = entry;
      request.span?.setAttribute('toolflight.tool_call', id);
      if (request.target === undefined) this.renameRequest(request);
    }
    this.toolCalls.set(id, entry);
    generation.toolCalls.add(entry);
    generation.inFlight += 1;
  }

  toolCallPrepared(event: Entity): void {
    const entry = this.toolCall(event);
    if (entry === undefined) return;
    entry.preparedArgs = event.data?.args;
    const toolName = textOf(event.data?.toolName);
    if (toolName === undefined || toolName === entry.toolName) return;
    entry.toolName = toolName;
    if (entry.mergedInto === undefined) {
      entry.span?.updateName(`execute_tool ${toolName}`);
      entry.span?.setAttribute('gen_ai.tool.name', toolName);
    } else if (entry.mergedInto.target === undefined) {
      this.renameRequest(entry.mergedInto);
    }
  }

  toolCallResult(event: Entity): void {
    const entry = this.toolCall(event);
    if (entry === undefined || event.data === undefined) return;
    entry.report = {
      outcome: textOf(event.data.outcome),
      isError: event.data.isError === true,
      result: event.data.result,
      reason: textOf(event.data.reason),
    };
  }

  toolCallFinished(event: Entity): void {
    const entry = this.toolCall(event);
    if (entry === undefined) return;
    const prepared = event.data?.prepared;
    if (typeof prepared === 'boolean') entry.prepared = prepared;
    entry.finished = true;
    entry.generation.inFlight -= 1;
    const request = entry.mergedInto;
    if (request === undefined) {
      this.endToolCall(entry, event.at, false);
      return;
    }
    this.forgetToolCall(entry);
    // The request answered first: its span waited for this call, and ends with it.
    if (request.finishedAt !== undefined) {
      this.endRequest(request, Math.max(request.finishedAt, event.at), false);
    }
  }

  /** The open SERVER span of a request (started now if it was not yet), for a CLIENT child. */
  requestSpan(id: string | undefined): Span | undefined {
    const entry = id === undefined ? undefined : this.requests.get(id);
    if (entry === undefined) return undefined;
    if (!entry.started) this.startRequestSpan(entry);
    return entry.span;
  }

  /** `outbox.enqueued` names this call: mark its span, and give its context for the link. */
  queued(toolCall: string, key: string): SpanContext | undefined {
    const entry = this.toolCalls.get(toolCall);
    if (entry === undefined) return undefined;
    entry.outboxKey = key;
    const span = entry.mergedInto?.span ?? entry.span;
    span?.setAttribute('toolflight.outbox.key', key);
    return span?.spanContext();
  }

  private request({ gen, id }: Entity): RequestEntry | undefined {
    const entry = this.requests.get(id);
    return entry?.generation.gen === gen ? entry : undefined;
  }

  private toolCall({ gen, id }: Entity): ToolCallEntry | undefined {
    const entry = this.toolCalls.get(id);
    return entry?.generation.gen === gen ? entry : undefined;
  }

  private generation(capture: string, gen: number): Generation {
    let generation = this.generations.get(gen);
    if (generation !== undefined && generation.capture === capture) return generation;
    generation = {
      capture,
      gen,
      current: true,
      inFlight: 0,
      requests: new Set(),
      toolCalls: new Set(),
    };
    this.generations.set(gen, generation);
    // Followed from the middle of a log, a generation is first seen at its first entity event:
    // the key's newest one is its current one.
    const current = this.currentOf.get(capture);
    if (current === undefined || current.gen <= gen) {
      this.currentOf.set(capture, generation);
      if (current !== undefined && current !== generation) {
        current.current = false;
        this.retire(current);
      }
    } else {
      generation.current = false;
    }
    return generation;
  }

  /** Forget a generation that is not its key's current one once nothing of it is open. */
  private retire(generation: Generation): void {
    if (
      !generation.current &&
      generation.inFlight <= 0 &&
      generation.requests.size === 0 &&
      generation.toolCalls.size === 0 &&
      this.generations.get(generation.gen) === generation
    ) {
      this.generations.delete(generation.gen);
    }
  }

  private endGeneration(generation: Generation, at: number): void {
    for (const entry of generation.requests) this.endRequest(entry, at, true);
    for (const entry of generation.toolCalls) this.endToolCall(entry, at, true);
    generation.inFlight = 0;
  }

  private requestName(entry: RequestEntry): string {
    const target =
      entry.target ?? (entry.method === 'tools/call' ? entry.call?.toolName : undefined);
    return spanName(entry.method, target);
  }

  private requestOperation(entry: RequestEntry): Attributes {
    return operationAttributes({
      method: entry.method,
      target: entry.target ?? (entry.method === 'tools/call' ? entry.call?.toolName : undefined),
      protocolVersion: entry.sessionFacts?.protocolVersion,
      transport: entry.sessionFacts?.transport,
    });
  }

  private requestAttributes(entry: RequestEntry): Attributes {
    entry.sessionFacts ??= this.sessions.get(entry.session);
    const attributes = this.requestOperation(entry);
    attributes['toolflight.capture'] = entry.generation.capture;
    attributes['toolflight.generation'] = entry.generation.gen;
    attributes['toolflight.request'] = entry.id;
    if (entry.rpcId !== undefined) attributes['jsonrpc.request.id'] = entry.rpcId;
    if (entry.session !== undefined) attributes['mcp.session.id'] = entry.session;
    if (entry.uri !== undefined) attributes['mcp.resource.uri'] = entry.uri;
    putPeer(attributes, 'client', entry.client);
    putPeer(attributes, 'server', entry.sessionFacts?.server);
    return attributes;
  }

  private renameRequest(entry: RequestEntry): void {
    const toolName = entry.call?.toolName;
    entry.span?.updateName(this.requestName(entry));
    if (toolName !== undefined) entry.span?.setAttribute('gen_ai.tool.name', toolName);
  }

  private startRequestSpan(entry: RequestEntry): void {
    entry.started = true;
    const { generation, trace } = entry;
    const key = entityKey(generation.capture, generation.gen, entry.id, entry.startedAt);
    const traceId = trace?.traceId;
    let parent: SpanContext | undefined;
    if (traceId !== undefined && trace?.parent !== undefined) {
      let traceState;
      try {
        traceState = trace.state === undefined ? undefined : createTraceState(trace.state);
      } catch {
        // A tracestate the API cannot read is left out, as a malformed field is.
      }
      parent = {
        traceId,
        spanId: trace.parent,
        traceFlags: trace.flags,
        isRemote: true,
        ...(traceState && { traceState }),
      };
    }
    entry.span = this.spans.start({
      name: this.requestName(entry),
      kind: SpanKind.SERVER,
      at: entry.startedAt,
      parent,
      // Hashed only when the log recorded no ids: most requests of an MCP endpoint have them.
      traceId: traceId ?? derivedTraceId(key),
      spanId: (traceId === undefined ? undefined : trace?.spanId) ?? derivedSpanId(key),
      attributes: this.requestAttributes(entry),
      ...(trace?.link && { links: [{ context: trace.link }] }),
    });
  }

  private startToolCallSpan(
    id: string,
    generation: Generation,
    at: number,
    toolName: string | undefined,
    requestId: string | undefined,
  ): Span | undefined {
    const attributes: Attributes = {
      'gen_ai.operation.name': 'execute_tool',
      'toolflight.capture': generation.capture,
      'toolflight.generation': generation.gen,
      'toolflight.tool_call': id,
    };
    if (toolName !== undefined) attributes['gen_ai.tool.name'] = toolName;
    if (requestId !== undefined) attributes['toolflight.request'] = requestId;
    const key = entityKey(generation.capture, generation.gen, id, at);
    const parent = requestId === undefined ? undefined : this.requests.get(requestId)?.span;
    return this.spans.start({
      name: toolName === undefined ? 'execute_tool' : `execute_tool ${toolName}`,
      kind: SpanKind.INTERNAL,
      at,
      parent,
      // A child is in its parent's trace: only a root call needs a trace id of its own.
      traceId: parent === undefined ? derivedTraceId(key) : undefined,
      spanId: derivedSpanId(key),
      attributes,
    });
  }

  private endRequest(entry: RequestEntry, at: number, unfinished: boolean): void {
    // Every request is a span, even one that ends before anything classified it.
    if (!entry.started) this.startRequestSpan(entry);
    this.requests.delete(entry.id);
    entry.generation.requests.delete(entry);
    const call = entry.call;
    if (call !== undefined) this.forgetToolCall(call);
    const span = entry.span;
    if (span !== undefined) {
      if (entry.sessionFacts === undefined && entry.session !== undefined) {
        span.setAttributes(this.requestAttributes(entry));
      }
      if (entry.status !== undefined) span.setAttribute('http.response.status_code', entry.status);
      if (call !== undefined) span.setAttributes(this.toolCallAttributes(call));
      const error =
        entry.error ??
        toolError(call?.report) ??
        (entry.status !== undefined && entry.status >= 400
          ? { type: String(entry.status) }
          : undefined) ??
        outcomeError(call?.report);
      if (error !== undefined) recordError(span, error);
      if (unfinished) span.setAttribute('toolflight.unfinished', true);
      this.spans.end(span, entry.startedAt, at);
      if (!unfinished && entry.method !== undefined) {
        const seconds = Math.max(0, at - entry.startedAt) / 1000;
        this.metrics?.serverOperation(
          seconds,
          metricAttributes(this.requestOperation(entry), error),
        );
      }
    }
    this.retire(entry.generation);
  }

  private endToolCall(entry: ToolCallEntry, at: number, unfinished: boolean): void {
    if (entry.mergedInto !== undefined) {
      // Its span is its request's: that span ends with the request's facts and this call's.
      if (unfinished) this.endRequest(entry.mergedInto, at, true);
      this.forgetToolCall(entry);
      return;
    }
    this.forgetToolCall(entry);
    const span = entry.span;
    if (span === undefined) return;
    span.setAttributes(this.toolCallAttributes(entry));
    const error = toolError(entry.report) ?? outcomeError(entry.report);
    if (error !== undefined) recordError(span, error);
    if (unfinished) span.setAttribute('toolflight.unfinished', true);
    this.spans.end(span, entry.startedAt, at);
  }

  private forgetToolCall(entry: ToolCallEntry): void {
    if (this.toolCalls.get(entry.id) === entry) this.toolCalls.delete(entry.id);
    entry.generation.toolCalls.delete(entry);
    this.retire(entry.generation);
  }

  /** The facts of a call, as its span ends: outcome, prepared, outbox key, opt-in content. */
  private toolCallAttributes(entry: ToolCallEntry): Attributes {
    const attributes: Attributes = { 'toolflight.tool_call': entry.id };
    const report = entry.report;
    if (report?.outcome !== undefined) attributes['toolflight.outcome'] = report.outcome;
    if (report?.outcome === 'blocked' && report.reason !== undefined) {
      attributes['toolflight.blocked_reason'] = maskText(report.reason);
    }
    if (entry.prepared !== undefined) attributes['toolflight.prepared'] = entry.prepared;
    if (entry.outboxKey !== undefined) attributes['toolflight.outbox.key'] = entry.outboxKey;
    if (this.captureContent) {
      const args = jsonOf(entry.preparedArgs ?? entry.args);
      if (args !== undefined) attributes['gen_ai.tool.call.arguments'] = args;
      const result = report?.outcome === 'completed' ? jsonOf(report.result) : undefined;
      if (result !== undefined) attributes['gen_ai.tool.call.result'] = result;
    }
    return attributes;
  }
}

/** Masked JSON text of a value, or undefined when it has none (undefined, a BigInt, …). */
function jsonOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(maskSecrets(value));
  } catch {
    return undefined;
  }
}

// @internal The SERVER span of each agent request and the span of each tool call, folded from the
// lifecycle events. The first tool call of a `tools/call` request is that request's span (its
// facts join it); any other call is its own INTERNAL span, a child of its request's.
import type { Attributes, Span, SpanContext } from '@opentelemetry/api';

import { newRequestEntry, type RequestEntry, type ToolCallEntry } from './entries.js';
import { fieldsOf, numberOf, peerOf, rpcIdOf, textOf, traceOf, type Fields } from './facts.js';
import { Generations } from './generations.js';
import { OpenEntries } from './openEntries.js';
import type { ProjectionMetrics } from './projectionMetrics.js';
import type { Sessions } from './sessions.js';
import { metricAttributes, operationAttributes, type Operation } from './spanAttributes.js';
import { outcomeError, recordError, rpcError, toolError, type SpanError } from './spanErrors.js';
import {
  requestAttributes,
  requestName,
  requestStart,
  targetOf,
  toolCallStart,
} from './spanStarts.js';
import type { SpanStarter } from './spanStarter.js';
import { recordToolCall } from './toolCallFacts.js';

/** Follows requests and tool calls; only what is still open is kept. */
export class ServerSpans {
  private readonly generations = new Generations();
  private readonly requests = new OpenEntries<RequestEntry>();
  private readonly toolCalls = new OpenEntries<ToolCallEntry>();
  /** The operation attributes the last request's metric took, and the facts they came from. */
  private lastOperation: (Operation & { readonly attributes: Attributes }) | undefined;

  constructor(
    private readonly spans: SpanStarter,
    private readonly sessions: Sessions,
    private readonly metrics: ProjectionMetrics | undefined,
    private readonly captureContent: boolean,
  ) {}

  /** Requests and tool calls started and not finished, per capture key (the gauge). */
  inFlight(): Map<string, number> {
    return this.generations.inFlight();
  }

  begun(capture: string, gen: number): void {
    this.generations.of(capture, gen);
  }

  /** `capture.cleared`: its work can no longer finish, so its open spans end now, unfinished. */
  cleared(capture: string, gen: number, at: number): void {
    const generation = this.generations.find(capture, gen);
    if (generation === undefined) return;
    // A scan of what is open, on a clear only (rare), rather than a set per generation.
    for (const entry of this.requests.values()) {
      if (entry.generation === generation) this.endRequest(entry, at, true);
    }
    for (const entry of this.toolCalls.values()) {
      if (entry.generation === generation) this.endToolCall(entry, at, true);
    }
    this.generations.drop(generation);
  }

  /**
   * End every open span at `at`, marked `toolflight.unfinished`. The current generations stay,
   * with nothing in flight, so that the in-flight gauge reads 0 for them, not its last value.
   */
  endAll(at: number): void {
    for (const entry of this.requests.values()) this.endRequest(entry, at, true);
    for (const entry of this.toolCalls.values()) this.endToolCall(entry, at, true);
    this.generations.settle();
  }

  requestStarted(capture: string, gen: number, id: string, at: number): void {
    const generation = this.generations.of(capture, gen);
    const previous = this.requests.get(id);
    // A hostile log that starts an id twice: the first one's span ends where the second starts.
    if (previous !== undefined) this.endRequest(previous, at, true);
    this.requests.set(id, newRequestEntry(id, generation, at));
    generation.followed += 1;
    generation.inFlight += 1;
  }

  /** The SERVER span starts here, once its ids and parent (`rpc.trace`) are known. */
  requestClassified(gen: number, id: string, data: Fields | undefined): void {
    const entry = this.request(gen, id);
    if (entry === undefined || entry.finishedAt !== undefined) return;
    const rpc = fieldsOf(data?.rpc);
    entry.method = textOf(data?.method);
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
    entry.sessionFacts ??= this.sessions.get(entry.session);
    entry.span?.updateName(requestName(entry));
    entry.span?.setAttributes(requestAttributes(entry));
  }

  requestFinished(gen: number, id: string, at: number, data: Fields | undefined): void {
    const entry = this.request(gen, id);
    if (entry === undefined || entry.finishedAt !== undefined) return;
    entry.finishedAt = at;
    entry.status = numberOf(data?.status);
    entry.error = rpcError(data?.error);
    entry.generation.inFlight -= 1;
    // A merged call still running keeps the span open: it ends when the call does.
    if (entry.call === undefined || entry.call.finished) this.endRequest(entry, at, false);
    else this.generations.retire(entry.generation);
  }

  toolCallStarted(
    capture: string,
    gen: number,
    id: string,
    at: number,
    data: Fields | undefined,
  ): void {
    const generation = this.generations.of(capture, gen);
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
      finished: false,
      mergedInto: merges ? request : undefined,
      span: merges
        ? undefined
        : this.spans.start(
            toolCallStart({ id, generation, at, toolName }, { id: requestId, span: request?.span }),
          ),
    };
    if (merges) {
      request.merged = true;
      request.call = entry;
      request.span?.setAttribute('toolflight.tool_call', id);
      if (request.target === undefined) this.renameRequest(request);
    }
    this.toolCalls.set(id, entry);
    generation.followed += 1;
    generation.inFlight += 1;
  }

  toolCallPrepared(gen: number, id: string, data: Fields | undefined): void {
    const entry = this.toolCall(gen, id);
    if (entry === undefined) return;
    entry.preparedArgs = data?.args;
    const toolName = textOf(data?.toolName);
    if (toolName === undefined || toolName === entry.toolName) return;
    entry.toolName = toolName;
    if (entry.mergedInto === undefined) {
      entry.span?.updateName(`execute_tool ${toolName}`);
      entry.span?.setAttribute('gen_ai.tool.name', toolName);
    } else if (entry.mergedInto.target === undefined) {
      this.renameRequest(entry.mergedInto);
    }
  }

  toolCallResult(gen: number, id: string, data: Fields | undefined): void {
    const entry = this.toolCall(gen, id);
    if (entry === undefined || data === undefined) return;
    entry.report = {
      outcome: textOf(data.outcome),
      isError: data.isError === true,
      result: data.result,
      reason: textOf(data.reason),
    };
  }

  toolCallFinished(gen: number, id: string, at: number, data: Fields | undefined): void {
    const entry = this.toolCall(gen, id);
    if (entry === undefined) return;
    const prepared = data?.prepared;
    if (typeof prepared === 'boolean') entry.prepared = prepared;
    entry.finished = true;
    entry.generation.inFlight -= 1;
    const request = entry.mergedInto;
    if (request === undefined) {
      this.endToolCall(entry, at, false);
      return;
    }
    this.forgetToolCall(entry);
    // The request answered first: its span waited for this call, and ends with it.
    if (request.finishedAt !== undefined) {
      this.endRequest(request, Math.max(request.finishedAt, at), false);
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
    const span = entry.mergedInto?.span ?? entry.span;
    span?.setAttribute('toolflight.outbox.key', key);
    return span?.spanContext();
  }

  private request(gen: number, id: string): RequestEntry | undefined {
    const entry = this.requests.get(id);
    return entry?.generation.gen === gen ? entry : undefined;
  }

  private toolCall(gen: number, id: string): ToolCallEntry | undefined {
    const entry = this.toolCalls.get(id);
    return entry?.generation.gen === gen ? entry : undefined;
  }

  private startRequestSpan(entry: RequestEntry): void {
    entry.started = true;
    entry.sessionFacts ??= this.sessions.get(entry.session);
    entry.span = this.spans.start(requestStart(entry));
  }

  private renameRequest(entry: RequestEntry): void {
    const toolName = entry.call?.toolName;
    entry.span?.updateName(requestName(entry));
    if (toolName !== undefined) entry.span?.setAttribute('gen_ai.tool.name', toolName);
  }

  private endRequest(entry: RequestEntry, at: number, unfinished: boolean): void {
    if (this.requests.get(entry.id) !== entry) return;
    // Every request is a span, even one that ends before anything classified it.
    if (!entry.started) this.startRequestSpan(entry);
    this.requests.delete(entry.id);
    entry.generation.followed -= 1;
    const call = entry.call;
    if (call !== undefined) this.forgetToolCall(call);
    const span = entry.span;
    if (span !== undefined) {
      if (entry.sessionFacts === undefined && entry.session !== undefined) {
        // The session opened after the span started: its facts join now.
        entry.sessionFacts = this.sessions.get(entry.session);
        if (entry.sessionFacts !== undefined) span.setAttributes(requestAttributes(entry));
      }
      if (entry.status !== undefined) span.setAttribute('http.response.status_code', entry.status);
      if (call !== undefined) recordToolCall(span, call, this.captureContent);
      const error = requestError(entry);
      if (error !== undefined) recordError(span, error);
      if (unfinished) span.setAttribute('toolflight.unfinished', true);
      this.spans.end(span, entry.startedAt, at);
      if (!unfinished && entry.method !== undefined) {
        const seconds = Math.max(0, at - entry.startedAt) / 1000;
        this.metrics?.serverOperation(seconds, metricAttributes(this.operationOf(entry), error));
      }
    }
    this.generations.retire(entry.generation);
  }

  /**
   * The request's operation attributes for its duration metric: the last set again when its
   * facts are the last request's (a server answers the same few tools over and over), so that
   * a request ends without building one. Never mutated: the meter may keep it.
   */
  private operationOf(entry: RequestEntry): Attributes {
    const method = entry.method;
    const target = targetOf(entry);
    const protocolVersion = entry.sessionFacts?.protocolVersion;
    const transport = entry.sessionFacts?.transport;
    const last = this.lastOperation;
    if (
      last !== undefined &&
      last.method === method &&
      last.target === target &&
      last.protocolVersion === protocolVersion &&
      last.transport === transport
    ) {
      return last.attributes;
    }
    const operation = { method, target, protocolVersion, transport };
    this.lastOperation = { ...operation, attributes: operationAttributes(operation) };
    return this.lastOperation.attributes;
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
    recordToolCall(span, entry, this.captureContent);
    const error = toolError(entry.report) ?? outcomeError(entry.report);
    if (error !== undefined) recordError(span, error);
    if (unfinished) span.setAttribute('toolflight.unfinished', true);
    this.spans.end(span, entry.startedAt, at);
  }

  private forgetToolCall(entry: ToolCallEntry): void {
    if (this.toolCalls.get(entry.id) !== entry) return;
    this.toolCalls.delete(entry.id);
    entry.generation.followed -= 1;
    this.generations.retire(entry.generation);
  }
}

/**
 * How a request failed, the MCP conventions' rule first: the JSON-RPC error's code, else
 * `tool_error` (its merged call's `isError` result); then an HTTP status of 400 or more; then
 * its merged call's outcome (`timeout`, `cancelled`, `blocked`, `failed`).
 */
function requestError(entry: RequestEntry): SpanError | undefined {
  const report = entry.call?.report;
  return (
    entry.error ??
    toolError(report) ??
    (entry.status !== undefined && entry.status >= 400
      ? { type: String(entry.status) }
      : undefined) ??
    outcomeError(report)
  );
}

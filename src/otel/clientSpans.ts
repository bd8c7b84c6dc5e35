// @internal The CLIENT span of each request a proxy or gateway sent upstream: from
// `upstream.requested` to the `upstream.answered` whose `span` is its `trace.spanId`.
import {
  SpanKind,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

import { derivedSpanId, derivedTraceId } from './derivedIds.js';
import { fieldsOf, peerOf, rpcIdOf, textOf, traceOf, type Fields } from './facts.js';
import { OpenEntries } from './openEntries.js';
import type { ProjectionMetrics } from './projectionMetrics.js';
import { metricAttributes, operationAttributes, putPeer, spanName } from './spanAttributes.js';
import { recordError, upstreamError } from './spanErrors.js';
import type { SpanStarter } from './spanStarter.js';

interface ClientEntry {
  readonly span: Span | undefined;
  readonly startedAt: number;
  /** The operation's attributes, for its duration metric. */
  readonly operation: Attributes;
}

/** Requests that are never answered (a host that notes no `upstream.answered`) stop here. */
const MAX_OPEN_CLIENT_SPANS = 10_000;

/** How a CLIENT span finds what the rest of the projection knows. */
export interface ClientSpanContext {
  /** The open SERVER span of the agent's request (`rq_…`), if this projection has it. */
  readonly requestSpan: (request: string | undefined) => Span | undefined;
  /** The span of the call an outbox entry queued, for the link to its delivery. */
  readonly queuedCall: (key: string | undefined) => SpanContext | undefined;
}

/** The open CLIENT spans by span id. */
export class ClientSpans {
  private readonly open = new OpenEntries<ClientEntry>();

  constructor(
    private readonly spans: SpanStarter,
    private readonly metrics: ProjectionMetrics | undefined,
    private readonly context: ClientSpanContext,
  ) {}

  requested(capture: string | undefined, seq: unknown, at: number, data: Fields): void {
    const trace = traceOf(data.trace);
    const rawSpanId = fieldsOf(data.trace)?.spanId;
    // A malformed span id can still be answered (by the same text); none at all never can, but
    // the span is kept under its seq so that it ends, unfinished, with the rest.
    const key = typeof rawSpanId === 'string' ? rawSpanId : `\u0000${String(seq)}`;
    const previous = this.open.get(key);
    if (previous !== undefined) this.end(key, previous, at, true);
    else if (this.open.size >= MAX_OPEN_CLIENT_SPANS) this.endOldest(at);

    const method = textOf(data.method);
    const target = textOf(data.target);
    const operation = operationAttributes({
      method,
      target,
      protocolVersion: textOf(data.protocolVersion),
      transport: textOf(data.transport),
    });
    const attributes: Attributes = { ...operation };
    const rpcId = rpcIdOf(data.rpcId);
    if (rpcId !== undefined) attributes['jsonrpc.request.id'] = rpcId;
    putFact(attributes, 'mcp.session.id', data.session);
    putFact(attributes, 'mcp.resource.uri', data.uri);
    putPeer(attributes, 'server', peerOf(data.peer));
    putFact(attributes, 'toolflight.server', data.server);
    if (capture !== undefined) attributes['toolflight.capture'] = capture;
    putFact(attributes, 'toolflight.request', data.request);
    putFact(attributes, 'toolflight.tool_call', data.toolCall);
    const outbox = textOf(data.outbox);
    if (outbox !== undefined) attributes['toolflight.outbox.key'] = outbox;

    const request = this.context.requestSpan(textOf(data.request));
    const parent: Span | SpanContext | undefined =
      request ??
      (trace?.traceId !== undefined && trace.parent !== undefined
        ? { traceId: trace.traceId, spanId: trace.parent, traceFlags: trace.flags }
        : undefined);
    const queued = this.context.queuedCall(outbox);
    const links: Link[] | undefined = queued && [
      { context: queued, attributes: { 'toolflight.link': 'queued_call' } },
    ];
    // Recordings are hostile: a request without valid ids gets ones derived from its place.
    const place = `${capture ?? ''}\u0000upstream\u0000${String(seq)}\u0000${at}`;
    const span = this.spans.start({
      name: spanName(method, target),
      kind: SpanKind.CLIENT,
      at,
      parent,
      traceId: trace?.traceId ?? derivedTraceId(place),
      spanId: trace?.spanId ?? derivedSpanId(place),
      attributes,
      ...(links && { links }),
    });
    this.open.set(key, { span, startedAt: at, operation });
  }

  answered(at: number, data: Fields): void {
    const key = data.span;
    const entry = typeof key === 'string' ? this.open.get(key) : undefined;
    if (entry === undefined || typeof key !== 'string') return;
    this.end(key, entry, at, false, data);
  }

  /** End every open CLIENT span at `at`, marked `toolflight.unfinished`. */
  endAll(at: number): void {
    for (const [key, entry] of this.open.entries()) this.end(key, entry, at, true);
  }

  private endOldest(at: number): void {
    for (const [key, entry] of this.open.entries()) {
      this.end(key, entry, at, true);
      return;
    }
  }

  private end(
    key: string,
    entry: ClientEntry,
    at: number,
    unfinished: boolean,
    answer?: Fields,
  ): void {
    this.open.delete(key);
    const span = entry.span;
    if (span === undefined) return;
    const error = answer === undefined ? undefined : upstreamError(answer);
    if (error !== undefined) recordError(span, error);
    if (unfinished) span.setAttribute('toolflight.unfinished', true);
    this.spans.end(span, entry.startedAt, at);
    if (!unfinished && entry.operation['mcp.method.name'] !== undefined) {
      const seconds = Math.max(0, at - entry.startedAt) / 1000;
      this.metrics?.clientOperation(seconds, metricAttributes(entry.operation, error));
    }
  }
}

function putFact(attributes: Attributes, name: string, value: unknown): void {
  const text = textOf(value);
  if (text !== undefined) attributes[name] = text;
}

// @internal What a request's SERVER span and a tool call's own span start with: name, ids,
// parent, links and attributes, from the entry alone (pure: no tracer, no state).
import {
  createTraceState,
  SpanKind,
  type Attributes,
  type Span,
  type SpanContext,
  type TraceState,
} from '@opentelemetry/api';

import { derivedSpanId, derivedTraceId, entityKey } from './derivedIds.js';
import type { Generation, RequestEntry } from './entries.js';
import type { Trace } from './facts.js';
import { operationAttributes, putPeer, spanName } from './spanAttributes.js';
import type { SpanStart } from './spanStarter.js';

/** The tool a request names: its target, or on `tools/call` the merged call's tool. */
export const targetOf = (entry: RequestEntry): string | undefined =>
  entry.target ?? (entry.method === 'tools/call' ? entry.call?.toolName : undefined);

/** `{method} {target}`, `{method}` or `request`. */
export const requestName = (entry: RequestEntry): string => spanName(entry.method, targetOf(entry));

/** The request's operation attributes: its span's and its duration metric's. */
export const requestOperation = (entry: RequestEntry): Attributes =>
  operationAttributes({
    method: entry.method,
    target: targetOf(entry),
    protocolVersion: entry.sessionFacts?.protocolVersion,
    transport: entry.sessionFacts?.transport,
  });

/** Every attribute of the request known now (its session's facts as `sessionFacts` has them). */
export function requestAttributes(entry: RequestEntry): Attributes {
  const attributes = requestOperation(entry);
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

/** The agent's span (`rpc.trace.parent`) as a remote parent, when the log has one. */
function remoteParent(trace: Trace | undefined): SpanContext | undefined {
  if (trace?.traceId === undefined || trace.parent === undefined) return undefined;
  let traceState: TraceState | undefined;
  try {
    traceState = trace.state === undefined ? undefined : createTraceState(trace.state);
  } catch {
    // A tracestate the API cannot read is left out, as a malformed field is.
  }
  return {
    traceId: trace.traceId,
    spanId: trace.parent,
    traceFlags: trace.flags,
    isRemote: true,
    ...(traceState && { traceState }),
  };
}

/** The SERVER span of a request: on the ids `rpc.trace` recorded, else ids derived from the log. */
export function requestStart(entry: RequestEntry): SpanStart {
  const { generation, trace } = entry;
  const traceId = trace?.traceId;
  const spanId = traceId === undefined ? undefined : trace?.spanId;
  // Keyed and hashed only when the log recorded no ids: most requests of an MCP endpoint have
  // them, and the key alone (two numbers as text, three joins) was a string per request.
  const key =
    traceId === undefined || spanId === undefined
      ? entityKey(generation.capture, generation.gen, entry.id, entry.startedAt)
      : '';
  return {
    name: requestName(entry),
    kind: SpanKind.SERVER,
    at: entry.startedAt,
    parent: remoteParent(trace),
    traceId: traceId ?? derivedTraceId(key),
    spanId: spanId ?? derivedSpanId(key),
    attributes: requestAttributes(entry),
    ...(trace?.link && { links: [{ context: trace.link }] }),
  };
}

/** The INTERNAL span `execute_tool {name}` of a call that is not its request's span. */
export function toolCallStart(
  call: { id: string; generation: Generation; at: number; toolName: string | undefined },
  request: { id: string | undefined; span: Span | undefined },
): SpanStart {
  const { id, generation, at, toolName } = call;
  const attributes: Attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'toolflight.capture': generation.capture,
    'toolflight.generation': generation.gen,
    'toolflight.tool_call': id,
  };
  if (toolName !== undefined) attributes['gen_ai.tool.name'] = toolName;
  if (request.id !== undefined) attributes['toolflight.request'] = request.id;
  const key = entityKey(generation.capture, generation.gen, id, at);
  return {
    name: toolName === undefined ? 'execute_tool' : `execute_tool ${toolName}`,
    kind: SpanKind.INTERNAL,
    at,
    parent: request.span,
    // A child is in its parent's trace: only a root call needs a trace id of its own.
    traceId: request.span === undefined ? derivedTraceId(key) : undefined,
    spanId: derivedSpanId(key),
    attributes,
  };
}

// The CLIENT span of each request a proxy or gateway sends upstream, and the link between a call
// an outbox queued and its later delivery.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';

import type { UpstreamOutcome } from '../../src/index.js';
import { AGENT_TRACE, msOf, project, sdk, SEND_RPC, TIME_ORIGIN, tracked } from './otelHarness.js';

/** The client span's ids, as the proxy put them in the upstream request's `traceparent`. */
const UPSTREAM_SPAN = '5fb397be34d26b51';

/** `upstream.requested` for a tools/call `send` that request `rq_1` caused. */
function upstreamRequested(
  tracker: ReturnType<typeof tracked>['tracker'],
  extra: { request?: string; toolCall?: string; outbox?: string; spanId?: string } = {},
) {
  const { spanId = UPSTREAM_SPAN, ...facts } = extra;
  return tracker.note(
    'upstream.requested',
    {
      server: 'slack',
      method: 'tools/call',
      rpcId: 3,
      session: 'up-sess-9',
      protocolVersion: '2025-06-18',
      target: 'send',
      transport: 'tcp',
      peer: { address: '10.0.0.5', port: 443 },
      trace: { traceId: AGENT_TRACE.traceId, spanId, parent: AGENT_TRACE.spanId },
      ...facts,
    },
    { capture: 'run-1' },
  );
}

describe('the CLIENT span of a request sent upstream', () => {
  it('is a child of its SERVER span, on the ids that went upstream, with every attribute', () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call', rpc: SEND_RPC });
    const call = tracker.toolCallStarted({ request, toolName: 'send' });
    at(5);
    upstreamRequested(tracker, { request: 'rq_1', toolCall: 'tc_1' });
    at(25);
    tracker.note('upstream.answered', { server: 'slack', span: UPSTREAM_SPAN, outcome: 'result' });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });

    const server = otel.span('tools/call send', SpanKind.SERVER);
    const [client] = otel.spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(client).toBeDefined();
    expect(client!.name).toBe('tools/call send');
    expect(client!.spanContext()).toMatchObject({
      traceId: AGENT_TRACE.traceId,
      spanId: UPSTREAM_SPAN,
    });
    expect(client!.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect([msOf(client!.startTime), msOf(client!.endTime)]).toEqual([
      TIME_ORIGIN + 5,
      TIME_ORIGIN + 25,
    ]);
    expect(client!.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'send',
      'mcp.protocol.version': '2025-06-18',
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'jsonrpc.request.id': '3',
      'mcp.session.id': 'up-sess-9',
      'server.address': '10.0.0.5',
      'server.port': 443,
      'toolflight.server': 'slack',
      'toolflight.capture': 'run-1',
      'toolflight.request': 'rq_1',
      'toolflight.tool_call': 'tc_1',
    });
    expect(client!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("takes trace.parent as its parent when the agent's request is not in this projection", () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    upstreamRequested(tracker, { request: 'rq_elsewhere' });
    tracker.note('upstream.answered', { server: 'slack', span: UPSTREAM_SPAN, outcome: 'result' });
    const [client] = otel.spans();
    expect(client!.parentSpanContext).toMatchObject({
      traceId: AGENT_TRACE.traceId,
      spanId: AGENT_TRACE.spanId,
    });
    expect(client!.spanContext().spanId).toBe(UPSTREAM_SPAN);
  });

  it.each([
    ['tool_error', 'tool_error'],
    ['timed_out', 'timeout'],
    ['cancelled', 'cancelled'],
    ['refused', 'refused'],
    ['unreachable', 'unreachable'],
  ] as const)('records the %s outcome as error.type %s, the reason as message', (outcome, type) => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    upstreamRequested(tracker);
    tracker.note('upstream.answered', {
      server: 'slack',
      span: UPSTREAM_SPAN,
      outcome: outcome satisfies UpstreamOutcome,
      reason: 'no answer in 30000 ms',
    });
    const [client] = otel.spans();
    expect(client!.attributes['error.type']).toBe(type);
    expect(client!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'no answer in 30000 ms',
    });
  });

  it('records a JSON-RPC error as its code, in error.type and rpc.response.status_code', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    upstreamRequested(tracker);
    tracker.note('upstream.answered', {
      server: 'slack',
      span: UPSTREAM_SPAN,
      outcome: 'error',
      error: { code: -32603, message: 'internal error' },
    });
    const [client] = otel.spans();
    expect(client!.attributes['error.type']).toBe('-32603');
    expect(client!.attributes['rpc.response.status_code']).toBe('-32603');
    expect(client!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'internal error' });
  });

  it('ends only on the answer whose span is its own', () => {
    const otel = sdk();
    const { tracker } = tracked();
    const projection = project(otel, tracker);
    upstreamRequested(tracker);
    tracker.note('upstream.answered', {
      server: 'slack',
      span: 'ffffffffffffffff',
      outcome: 'result',
    });
    expect(projection.openSpans()).toBe(1);
    projection.close();
    expect(otel.spans()[0]!.attributes['toolflight.unfinished']).toBe(true);
  });
});

describe('a queued call and its delivery', () => {
  it('are linked spans: the delivery links the queued call, toolflight.link queued_call', () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call', rpc: SEND_RPC });
    const call = tracker.toolCallStarted({ request, toolName: 'send' });
    tracker.note('outbox.enqueued', { key: 'k-1', tool: 'send', toolCall: 'tc_1' });
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
    at(60_000);
    // The outbox delivers it later, on its own (no agent request behind it).
    upstreamRequested(tracker, { toolCall: 'tc_1', outbox: 'k-1', spanId: '0123456789abcdef' });
    tracker.note('upstream.answered', {
      server: 'slack',
      span: '0123456789abcdef',
      outcome: 'result',
    });
    tracker.note('outbox.delivered', { key: 'k-1', tool: 'send', toolCall: 'tc_1' });

    const queued = otel.span('tools/call send', SpanKind.SERVER);
    const delivery = otel.spans().find((span) => span.kind === SpanKind.CLIENT)!;
    expect(queued.attributes['toolflight.outbox.key']).toBe('k-1');
    expect(delivery.attributes['toolflight.outbox.key']).toBe('k-1');
    expect(delivery.links).toEqual([
      {
        context: queued.spanContext(),
        attributes: { 'toolflight.link': 'queued_call' },
      },
    ]);
  });

  it('are not linked once the entry was delivered (the link is forgotten)', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    tracker.note('outbox.enqueued', { key: 'k-1', tool: 'send', toolCall: 'tc_1' });
    tracker.toolCallFinished(call);
    expect(otel.span('execute_tool send').attributes['toolflight.outbox.key']).toBe('k-1');
    tracker.note('outbox.delivered', { key: 'k-1', tool: 'send' });
    upstreamRequested(tracker, { outbox: 'k-1' });
    tracker.note('upstream.answered', { server: 'slack', span: UPSTREAM_SPAN, outcome: 'result' });
    expect(otel.spans().find((span) => span.kind === SpanKind.CLIENT)!.links).toEqual([]);
  });
});

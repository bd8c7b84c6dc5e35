// The SERVER span of an agent request and the spans of tool calls, projected from a real
// tracker's events into the real SDK.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';

import type { ToolCallOutcome } from '../../src/index.js';
import { AGENT_TRACE, msOf, project, sdk, SEND_RPC, TIME_ORIGIN, tracked } from './otelHarness.js';

/** A session, then a `tools/call` for `send` with its tool call, the clock moving as it goes. */
function sendCall(
  run: ReturnType<typeof tracked>,
  report: { outcome: ToolCallOutcome; isError: boolean; result?: unknown; reason?: string } = {
    outcome: 'completed',
    isError: false,
    result: { content: [{ type: 'text', text: 'sent' }] },
  },
  finish: Parameters<ReturnType<typeof tracked>['tracker']['requestFinished']>[1] = {
    status: 200,
  },
) {
  const { tracker, at } = run;
  tracker.note('session.opened', {
    session: 'sess-1',
    protocolVersion: '2025-06-18',
    transport: 'tcp',
    server: { address: '127.0.0.1', port: 8808 },
  });
  at(10);
  const request = tracker.requestStarted('run-1');
  at(12);
  tracker.requestClassified(request, { method: 'tools/call', rpc: SEND_RPC });
  at(13);
  const call = tracker.toolCallStarted({ request, toolName: 'send', args: { to: '#ops' } });
  tracker.toolCallPrepared(call, { args: { to: '#ops', apiKey: 'sk-live-1234567890abcdefghij' } });
  at(40);
  tracker.toolCallResult(call, report);
  tracker.toolCallFinished(call);
  at(42);
  tracker.requestFinished(request, finish);
}

describe('the SERVER span of a tools/call', () => {
  it('is one span `tools/call send`, kind SERVER, with its tool call merged in', () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    sendCall(run);
    const span = otel.span('tools/call send');
    expect(otel.spans()).toHaveLength(1);
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(msOf(span.startTime)).toBe(TIME_ORIGIN + 10);
    expect(msOf(span.endTime)).toBe(TIME_ORIGIN + 42);
    expect(span.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'send',
      'mcp.protocol.version': '2025-06-18',
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'jsonrpc.request.id': '7',
      'mcp.session.id': 'sess-1',
      'client.address': '127.0.0.1',
      'client.port': 53211,
      'server.address': '127.0.0.1',
      'server.port': 8808,
      'http.response.status_code': 200,
      'toolflight.capture': 'run-1',
      'toolflight.generation': 1,
      'toolflight.request': 'rq_1',
      'toolflight.tool_call': 'tc_1',
      'toolflight.outcome': 'completed',
      'toolflight.prepared': true,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("is the child of the agent's span (rpc.trace.parent), on the ids the log recorded", () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    sendCall(run);
    const span = otel.span('tools/call send');
    expect(span.spanContext().traceId).toBe(AGENT_TRACE.traceId);
    expect(span.spanContext().spanId).toBe(AGENT_TRACE.spanId);
    expect(span.parentSpanContext).toMatchObject({
      traceId: AGENT_TRACE.traceId,
      spanId: AGENT_TRACE.parent,
      isRemote: true,
    });
    expect(span.parentSpanContext?.traceState?.serialize()).toBe(AGENT_TRACE.state);
  });

  it('links the ambient HTTP context (rpc.trace.link), not as a parent', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const link = { traceId: 'aaaabbbbccccddddeeeeffff00001111', spanId: '1234567890abcdef' };
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, {
      method: 'tools/list',
      rpc: { id: 1, trace: { traceId: AGENT_TRACE.traceId, spanId: AGENT_TRACE.spanId, link } },
    });
    tracker.requestFinished(request, { status: 200 });
    const span = otel.span('tools/list');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links.map((each) => each.context)).toEqual([
      { ...link, traceFlags: 1, isRemote: true },
    ]);
  });

  it('records a JSON-RPC error as error.type and rpc.response.status_code, status ERROR', () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    sendCall(run, undefined, {
      status: 200,
      error: { code: -32602, message: 'unknown tool: send (token=abc123)' },
    });
    const span = otel.span('tools/call send');
    expect(span.attributes['error.type']).toBe('-32602');
    expect(span.attributes['rpc.response.status_code']).toBe('-32602');
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'unknown tool: send (token=••••••)',
    });
  });

  it("records an isError result as error.type tool_error, the tool's first text as message", () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    const text = `channel not found; Authorization: Bearer ghp_${'x'.repeat(36)} ${'.'.repeat(400)}`;
    sendCall(run, {
      outcome: 'completed',
      isError: true,
      result: { isError: true, content: [{ type: 'image' }, { type: 'text', text }] },
    });
    const span = otel.span('tools/call send');
    expect(span.attributes['error.type']).toBe('tool_error');
    expect(span.attributes['rpc.response.status_code']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status.message).toMatch(/^channel not found; Authorization: Bearer ••••••/);
    expect(span.status.message!.length).toBeLessThanOrEqual(256);
  });

  it.each([
    ['blocked', 'blocked'],
    ['cancelled', 'cancelled'],
    ['timed_out', 'timeout'],
    ['failed', 'failed'],
  ] as const)('records the %s outcome as toolflight.outcome and error.type %s', (outcome, type) => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    sendCall(run, { outcome, isError: false, reason: 'policy: no sends after 18:00' });
    const span = otel.span('tools/call send');
    expect(span.attributes['toolflight.outcome']).toBe(outcome);
    expect(span.attributes['error.type']).toBe(type);
    expect(span.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'policy: no sends after 18:00',
    });
    expect(span.attributes['toolflight.blocked_reason']).toBe(
      outcome === 'blocked' ? 'policy: no sends after 18:00' : undefined,
    );
  });

  it('records an HTTP status of 400 or more as error.type when nothing else failed', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/list' });
    tracker.requestFinished(request, { status: 413 });
    const span = otel.span('tools/list');
    expect(span.attributes['error.type']).toBe('413');
    expect(span.attributes['http.response.status_code']).toBe(413);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('stays open past request.finished while its merged call runs, and ends with the call', () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    const projection = project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call', rpc: { id: 1 } });
    const call = tracker.toolCallStarted({ request, toolName: 'slow' });
    at(5);
    tracker.requestFinished(request, { status: 202 });
    expect(otel.spans()).toEqual([]);
    expect(projection.openSpans()).toBe(1);
    at(30);
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
    // Named after the tool call when the agent's message named no target.
    const span = otel.span('tools/call slow');
    expect(msOf(span.endTime)).toBe(TIME_ORIGIN + 30);
    expect(span.attributes['gen_ai.tool.name']).toBe('slow');
    expect(projection.openSpans()).toBe(0);
  });

  it('is named `request`, without mcp.method.name, when the request was never classified', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    tracker.requestFinished(tracker.requestStarted('run-1'), { status: 400 });
    const span = otel.span('request');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes['mcp.method.name']).toBeUndefined();
    expect(span.attributes['error.type']).toBe('400');
  });

  it('names prompts/get by its prompt and carries resources/read its uri', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const prompt = tracker.requestStarted('run-1');
    tracker.requestClassified(prompt, {
      method: 'prompts/get',
      rpc: { id: 'p-1', target: 'review' },
    });
    tracker.requestFinished(prompt, { status: 200 });
    const read = tracker.requestStarted('run-1');
    tracker.requestClassified(read, { method: 'resources/read', rpc: { uri: 'file:///notes.md' } });
    tracker.requestFinished(read, { status: 200 });
    expect(otel.span('prompts/get review').attributes).toMatchObject({
      'gen_ai.prompt.name': 'review',
      'jsonrpc.request.id': 'p-1',
    });
    expect(otel.span('prompts/get review').attributes['gen_ai.operation.name']).toBeUndefined();
    expect(otel.span('resources/read').attributes['mcp.resource.uri']).toBe('file:///notes.md');
    expect(otel.span('resources/read').attributes['jsonrpc.request.id']).toBeUndefined();
  });

  it('takes its session facts at its end when session.opened came after it started', () => {
    // An initialize: the endpoint notes the session it opened while answering it.
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'initialize', rpc: { id: 0, session: 'sess-9' } });
    tracker.note('session.opened', {
      session: 'sess-9',
      protocolVersion: '2025-06-18',
      transport: 'pipe',
    });
    tracker.requestFinished(request, { status: 200 });
    expect(otel.span('initialize').attributes).toMatchObject({
      'mcp.session.id': 'sess-9',
      'mcp.protocol.version': '2025-06-18',
      'network.transport': 'pipe',
    });
    expect(otel.span('initialize').attributes['network.protocol.name']).toBeUndefined();
  });

  it('gets ids derived from the log when the request has no rpc.trace, the same every run', () => {
    const ids = () => {
      const otel = sdk();
      const { tracker } = tracked();
      project(otel, tracker);
      const request = tracker.requestStarted('run-1');
      tracker.requestClassified(request, { method: 'ping' });
      tracker.requestFinished(request, { status: 200 });
      return otel.span('ping').spanContext();
    };
    const first = ids();
    expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ids()).toEqual(first);
  });
});

describe('tool call spans', () => {
  it('gives a tool call without a request its own INTERNAL root span `execute_tool {name}`', () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    project(otel, tracker);
    at(3);
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'lookup' });
    at(9);
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
    const span = otel.span('execute_tool lookup');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.parentSpanContext).toBeUndefined();
    expect([msOf(span.startTime), msOf(span.endTime)]).toEqual([TIME_ORIGIN + 3, TIME_ORIGIN + 9]);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup',
      'toolflight.capture': 'run-1',
      'toolflight.generation': 1,
      'toolflight.tool_call': 'tc_1',
      'toolflight.outcome': 'completed',
      'toolflight.prepared': false,
    });
  });

  it("makes a request's second tool call an INTERNAL child of the request's SERVER span", () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call', rpc: SEND_RPC });
    const first = tracker.toolCallStarted({ request, toolName: 'send' });
    const second = tracker.toolCallStarted({ request, toolName: 'audit' });
    tracker.toolCallResult(second, { outcome: 'failed', isError: true, result: { content: [] } });
    for (const call of [first, second]) tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
    const server = otel.span('tools/call send');
    const audit = otel.span('execute_tool audit');
    expect(audit.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(audit.spanContext().traceId).toBe(AGENT_TRACE.traceId);
    expect(audit.attributes).toMatchObject({
      'toolflight.request': 'rq_1',
      'toolflight.tool_call': 'tc_2',
      'error.type': 'tool_error',
    });
    expect(server.attributes['toolflight.tool_call']).toBe('tc_1');
  });

  it('names the span after the tool a hook prepared instead', () => {
    const otel = sdk();
    const { tracker } = tracked();
    project(otel, tracker);
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    tracker.toolCallPrepared(call, { toolName: 'send_v2', args: {} });
    tracker.toolCallFinished(call);
    expect(otel.span('execute_tool send_v2').attributes['gen_ai.tool.name']).toBe('send_v2');
  });
});

describe('content (gen_ai.tool.call.arguments / result)', () => {
  it('is left out by default', () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker);
    sendCall(run);
    const { attributes } = otel.span('tools/call send');
    expect(attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(attributes['gen_ai.tool.call.result']).toBeUndefined();
  });

  it('is the prepared arguments and the result as masked JSON with captureContent', () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker, { captureContent: true });
    sendCall(run);
    const { attributes } = otel.span('tools/call send');
    expect(JSON.parse(attributes['gen_ai.tool.call.arguments'] as string)).toEqual({
      to: '#ops',
      apiKey: '••••••',
    });
    expect(JSON.parse(attributes['gen_ai.tool.call.result'] as string)).toEqual({
      content: [{ type: 'text', text: 'sent' }],
    });
  });

  it('has no result for a call that did not complete', () => {
    const otel = sdk();
    const run = tracked();
    project(otel, run.tracker, { captureContent: true });
    sendCall(run, { outcome: 'cancelled', isError: false, result: { content: [] } });
    const { attributes } = otel.span('tools/call send');
    expect(attributes['gen_ai.tool.call.arguments']).toBeDefined();
    expect(attributes['gen_ai.tool.call.result']).toBeUndefined();
  });
});

describe('spans still open', () => {
  it('end at the last event on close(), marked toolflight.unfinished, and only once', () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    const projection = project(otel, tracker);
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call', rpc: SEND_RPC });
    tracker.toolCallStarted({ request, toolName: 'send' });
    at(25);
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'lookup' });
    expect(projection.openSpans()).toBe(2);
    projection.close();
    projection.close();
    expect(projection.openSpans()).toBe(0);
    expect(otel.spans().map((span) => span.name)).toEqual([
      'tools/call send',
      'execute_tool lookup',
    ]);
    for (const span of otel.spans()) {
      expect(span.attributes['toolflight.unfinished']).toBe(true);
      expect(msOf(span.endTime)).toBe(TIME_ORIGIN + 25);
    }
    // Followed no more: a later event changes nothing.
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'late' });
    expect(otel.spans()).toHaveLength(2);
  });

  it('end at the last event of a recording', async () => {
    const otel = sdk();
    const run = tracked();
    const request = run.tracker.requestStarted('run-1');
    run.tracker.requestClassified(request, { method: 'tools/list' });
    run.at(8);
    run.tracker.note('idle.waited', {
      result: 'timed_out',
      waitedMs: 8,
      timeoutMs: 8,
      admissionGraceMs: 1,
    });
    await project(otel, run.events()).done;
    const span = otel.span('tools/list');
    expect(span.attributes['toolflight.unfinished']).toBe(true);
    expect(msOf(span.endTime)).toBe(TIME_ORIGIN + 8);
  });

  it('end when their capture is cleared (its work can no longer finish)', () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    const projection = project(otel, tracker);
    tracker.requestStarted('run-1');
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'lookup' });
    at(4);
    tracker.clearCapture('run-1');
    expect(projection.openSpans()).toBe(0);
    expect(
      otel.spans().map((span) => [span.name, span.attributes['toolflight.unfinished']]),
    ).toEqual([
      ['request', true],
      ['execute_tool lookup', true],
    ]);
  });

  it("end for a cleared capture only: another capture's work goes on", () => {
    const otel = sdk();
    const { tracker, at } = tracked();
    const projection = project(otel, tracker);
    tracker.beginCapture('run-2');
    const other = tracker.requestStarted('run-2');
    tracker.requestClassified(other, { method: 'tools/call', rpc: { id: 2 } });
    const otherCall = tracker.toolCallStarted({ request: other, toolName: 'keep' });
    const cleared = tracker.requestStarted('run-1');
    tracker.requestClassified(cleared, { method: 'tools/call', rpc: { id: 1 } });
    tracker.toolCallStarted({ request: cleared, toolName: 'drop' });
    at(4);
    tracker.clearCapture('run-1');
    expect(otel.spans().map((span) => span.name)).toEqual(['tools/call drop']);
    expect(projection.openSpans()).toBe(1);
    tracker.toolCallFinished(otherCall);
    tracker.requestFinished(other, { status: 200 });
    expect(otel.span('tools/call keep').attributes['toolflight.unfinished']).toBeUndefined();
  });
});

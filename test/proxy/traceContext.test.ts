// What the proxy notes for spans, and the trace context it carries: the agent's request is
// classified with its JSON-RPC facts and a span that is a child of the agent's
// `params._meta.traceparent`; each request upstream is a client span, child of that one, whose
// `traceparent` goes upstream in `params._meta` (the rest of `_meta` untouched).
import { describe, expect, it } from 'vitest';

import type { EventOf, ToolflightEvent } from '../../src/index.js';
import { INITIALIZE_BODY, settled, toolsCall } from '../mcp/support.js';
import { agentTransport, httpUpstream, rawSession, startProxy } from './support.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

const ofType = <T extends ToolflightEvent['type']>(events: ToolflightEvent[], type: T) =>
  events.filter((event): event is EventOf<T> => event.type === type);

/** The classified event of the request that called `tool`. */
function classifiedCall(events: ToolflightEvent[], tool: string) {
  const found = ofType(events, 'request.classified').find(
    (event) => event.data.method === 'tools/call' && event.data.rpc?.target === tool,
  );
  if (found === undefined) throw new Error(`no tools/call of ${tool} was classified`);
  return found;
}

describe('proxy: trace context and the facts spans are made of', () => {
  it("makes the agent's span the parent, and sends its own client span's traceparent upstream", async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: {
        traceparent: `00-${TRACE}-${PARENT}-01`,
        tracestate: 'rojo=00f067aa0ba902b7',
        baggage: 'userId=alice',
        'example.com/other': 'kept',
      },
    });
    await settled(h);
    const events = h.events();
    const classified = classifiedCall(events, 'echo');
    const rpc = classified.data.rpc!;
    expect(rpc.trace).toMatchObject({
      traceId: TRACE,
      parent: PARENT,
      flags: 1,
      state: 'rojo=00f067aa0ba902b7',
    });
    expect(rpc.trace!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(['string', 'number']).toContain(typeof rpc.id);
    expect(rpc.session).toMatch(/.+/);
    expect(rpc.client?.address).toBe('127.0.0.1');
    expect(rpc.client?.port).toBeGreaterThan(0);

    const call = ofType(events, 'toolCall.started').find((e) => e.data.toolName === 'echo')!;
    const requested = ofType(events, 'upstream.requested').find(
      (e) => e.data.method === 'tools/call',
    )!;
    expect(requested.data).toMatchObject({
      target: 'echo',
      transport: 'tcp',
      peer: { address: '127.0.0.1', port: Number(new URL(upstream.url).port) },
      request: classified.id,
      toolCall: call.id,
      trace: { traceId: TRACE, parent: rpc.trace!.spanId },
    });
    expect(requested.capture).toBe('run-1');
    const clientSpan = requested.data.trace.spanId;
    expect(clientSpan).not.toBe(rpc.trace!.spanId);
    const answered = ofType(events, 'upstream.answered').find((e) => e.data.span === clientSpan);
    expect(answered?.data).toMatchObject({ outcome: 'result' });

    // Upstream: the client span is the parent; the agent's other keys arrive as sent.
    expect(upstream.metas.at(-1)).toEqual({
      traceparent: `00-${TRACE}-${clientSpan}-01`,
      tracestate: 'rojo=00f067aa0ba902b7',
      baggage: 'userId=alice',
      'example.com/other': 'kept',
    });
  });

  it('starts a new trace for an agent that sends none, and carries it upstream', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'hi' } });
    await settled(h);
    const events = h.events();
    const trace = classifiedCall(events, 'echo').data.rpc!.trace!;
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.parent).toBeUndefined();
    const requested = ofType(events, 'upstream.requested').find(
      (e) => e.data.method === 'tools/call',
    )!;
    expect(requested.data.trace).toMatchObject({ traceId: trace.traceId, parent: trace.spanId });
    expect(upstream.metas.at(-1)).toEqual({
      traceparent: `00-${trace.traceId}-${requested.data.trace.spanId}-01`,
    });
  });

  it('ignores a traceparent the W3C rules refuse, and never forwards it', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    const hostile = [
      `00-${TRACE.toUpperCase()}-${PARENT}-01`,
      `00-${'0'.repeat(32)}-${PARENT}-01`,
      `ff-${TRACE}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-01-extra`,
      'x'.repeat(10_000),
      42,
    ];
    for (const traceparent of hostile) {
      await agent.callTool({ name: 'echo', arguments: { text: 'x' }, _meta: { traceparent } });
    }
    await settled(h);
    const traces = ofType(h.events(), 'request.classified')
      .filter((e) => e.data.method === 'tools/call')
      .map((e) => e.data.rpc!.trace!);
    expect(traces).toHaveLength(hostile.length);
    for (const trace of traces) {
      expect(trace.parent).toBeUndefined();
      expect(trace.traceId).not.toBe(TRACE);
    }
    for (const meta of upstream.metas) {
      expect(meta.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(meta.traceparent).not.toContain(TRACE);
    }
  });

  it('notes the JSON-RPC error the agent was answered with, and tool errors upstream', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.callTool({ name: 'reject', arguments: {} }).catch(() => undefined);
    await agent.callTool({ name: 'fail', arguments: {} });
    await settled(h);
    const events = h.events();
    const rejected = classifiedCall(events, 'reject');
    const finished = ofType(events, 'request.finished').find((e) => e.id === rejected.id);
    expect(finished?.data.error?.code).toBe(-32602);
    expect(finished?.data.error?.message).toContain('rejects');
    const outcomes = ofType(events, 'upstream.answered').map((e) => e.data);
    expect(outcomes.find((o) => o.outcome === 'error')?.error?.code).toBe(-32602);
    expect(outcomes.map((o) => o.outcome)).toContain('tool_error');
  });

  it("Seen: an agent's tools/list went upstream as the root of an unrelated trace, with no capture", async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    // The session's first list: the proxy lists through the session's own upstream session.
    await agent.listTools({ _meta: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    await settled(h);
    const events = h.events();
    const classified = ofType(events, 'request.classified').find(
      (e) => e.data.method === 'tools/list',
    )!;
    const span = classified.data.rpc!.trace!;
    expect(span).toMatchObject({ traceId: TRACE, parent: PARENT });
    const requested = ofType(events, 'upstream.requested').filter(
      (e) => e.data.method === 'tools/list' && e.data.request === classified.id,
    );
    expect(requested).toHaveLength(1);
    expect(requested[0]!.capture).toBe('run-1');
    expect(requested[0]!.data.trace).toMatchObject({ traceId: TRACE, parent: span.spanId });
    // The upstream's list is a child of that client span, in the agent's trace.
    expect(upstream.listMetas).toContainEqual({
      traceparent: `00-${TRACE}-${requested[0]!.data.trace.spanId}-01`,
    });
  });

  it("Seen: an agent session's upstream initialize was noted under no capture, in no trace of the agent's", async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.listTools();
    await settled(h);
    const events = h.events();
    const hello = ofType(events, 'request.classified').find((e) => e.data.method === 'initialize')!;
    const handshakes = ofType(events, 'upstream.requested').filter(
      (e) => e.data.method === 'initialize',
    );
    // The proxy's own session (nobody's) and the agent's.
    expect(handshakes.map((e) => e.capture ?? 'none').sort()).toEqual(['none', 'run-1']);
    const own = handshakes.find((e) => e.capture === 'run-1')!;
    expect(own.data.request).toBe(hello.id);
    expect(own.data.trace).toMatchObject({
      traceId: hello.data.rpc!.trace!.traceId,
      parent: hello.data.rpc!.trace!.spanId,
    });
    expect(own.data.toolCall).toBeUndefined();
  });

  it('notes each agent session opened, with its protocol version and address, and closed', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.listTools();
    const opened = ofType(h.events(), 'session.opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.data.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(opened[0]).toMatchObject({
      capture: 'run-1',
      data: {
        transport: 'tcp',
        server: { address: '127.0.0.1', port: Number(new URL(h.proxy.url).port) },
        clientName: 'test-agent',
        clientVersion: '1.0.0',
      },
    });
    await agent.close();
    // The SDK client's close does not end the session; DELETE does.
    const session = opened[0]!.data.session;
    await fetch(h.proxy.url, {
      method: 'DELETE',
      headers: {
        Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
        'Mcp-Session-Id': session,
      },
    });
    await expect
      .poll(() => ofType(h.events(), 'session.closed').map((e) => e.data.session))
      .toEqual([session]);
  });

  it("Seen: the agent's baggage was written to the log (twice); it goes upstream only", async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { traceparent: `00-${TRACE}-${PARENT}-01`, baggage: 'userId=alice' },
    });
    await settled(h);
    expect(JSON.stringify(h.events())).not.toContain('alice');
    expect(upstream.metas.at(-1)?.baggage).toBe('userId=alice');
  });

  it("Seen: an untracked request's client span named a parent span that never exists", async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url }, untracked: 'serve' });
    const agent = new Client({ name: 'untracked', version: '1' });
    await agent.connect(agentTransport(h.proxy.url, h.proxy.credential({ capture: 'not-begun' })));
    await agent.callTool({
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { traceparent: `00-${TRACE}-${PARENT}-01` },
    });
    await agent.close();
    const requested = ofType(h.events(), 'upstream.requested').find(
      (e) => e.data.method === 'tools/call',
    );
    expect(requested?.data.request).toBeUndefined();
    expect(requested?.data.trace).toMatchObject({ traceId: TRACE, parent: PARENT });
  });

  it('Seen: a huge JSON-RPC id or tool name went into the log whole', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const headers = await rawSession(h.proxy as never);
    await fetch(h.proxy.url, {
      method: 'POST',
      headers,
      body: toolsCall('n'.repeat(10_000), {}, 'i'.repeat(100_000)),
    }).then((response) => response.text());
    await settled(h);
    const classified = ofType(h.events(), 'request.classified').filter(
      (e) => e.data.method === 'tools/call',
    );
    expect(classified).toHaveLength(1);
    expect(JSON.stringify(classified[0]).length).toBeLessThan(2_000);
    expect(classified[0]?.data.rpc?.id).toBeUndefined();
    expect(classified[0]?.data.rpc?.target).toBeUndefined();
  });

  it('notes the version the session speaks, not an unknown one the agent asked for', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const asked = JSON.parse(INITIALIZE_BODY) as { params: { protocolVersion: string } };
    asked.params.protocolVersion = '2099-01-01';
    const response = await fetch(h.proxy.url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(asked),
    });
    const answer = (await response.json()) as { result: { protocolVersion: string } };
    const opened = ofType(h.events(), 'session.opened');
    expect(opened.map((e) => e.data.protocolVersion)).toEqual([answer.result.protocolVersion]);
    expect(answer.result.protocolVersion).not.toBe('2099-01-01');
  });

  it('Seen: a refusal answered with a JSON-RPC error (an unknown session) noted only its HTTP status', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const headers = await rawSession(h.proxy as never);
    await fetch(h.proxy.url, {
      method: 'POST',
      headers: { ...headers, 'Mcp-Session-Id': 'no-such-session' },
      body: toolsCall('echo', { text: 'x' }),
    }).then((response) => response.text());
    await settled(h);
    const finished = ofType(h.events(), 'request.finished').filter((e) => e.data.status === 404);
    expect(finished.map((e) => e.data.error?.code)).toEqual([-32001]);
  });
});

import { request } from 'node:http';

import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { FIXTURE_TOOLS } from '../fixtures/proxy/httpUpstream.js';
import { nextEvent, settled, toolsCall } from '../mcp/support.js';
import type { Proxy } from '../../src/mcp/index.js';
import { httpUpstream, rawSession, startProxy } from './support.js';

describe('proxy: pass-through to an HTTP upstream', () => {
  it('lists the upstream tools unchanged, schemas, annotations and _meta included', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    const { tools } = await agent.listTools();
    expect(tools).toEqual(FIXTURE_TOOLS);
  });

  it('answers initialize with the upstream identity and advertises tools.listChanged', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    expect(agent.getServerVersion()).toEqual({ name: 'fixture-http', version: '2.0.0' });
    expect(agent.getServerCapabilities()?.tools?.listChanged).toBe(true);
    expect(agent.getInstructions()).toBe('fixture instructions');
  });

  it('passes results with structured content, isError results and JSON-RPC errors through verbatim', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.listTools();
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(echoed).toEqual({
      content: [{ type: 'text', text: 'hi' }],
      structuredContent: { echoed: 'hi' },
    });
    const failed = await agent.callTool({ name: 'fail', arguments: {} });
    expect(failed).toEqual({
      content: [{ type: 'text', text: 'it failed on purpose' }],
      isError: true,
    });
    const rejected = await agent
      .callTool({ name: 'reject', arguments: {} })
      .catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(McpError);
    expect(rejected).toMatchObject({ code: -32602, data: { field: 'x' } });
  });

  it('relays progress notifications of a call to the agent that asked', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    const progress: number[] = [];
    const result = await agent.callTool({ name: 'progress', arguments: {} }, CallToolResultSchema, {
      onprogress: (update) => progress.push(update.progress),
    });
    expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(progress).toEqual([1, 2]);
  });

  it('forwards methods it does not intervene in (ping) untouched', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await expect(agent.ping()).resolves.toEqual({});
    const unknown = await agent.listPrompts().catch((error: unknown) => error);
    expect(unknown).toMatchObject({ code: -32601 });
  });

  it('tracks each call like the loopback server: started, prepared, result, finished', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'tracked' } });
    await agent.callTool({ name: 'fail', arguments: {} });
    const calls = h.events().filter((event) => event.type.startsWith('toolCall.'));
    expect(calls.map((event) => event.type)).toEqual([
      'toolCall.started',
      'toolCall.prepared',
      'toolCall.result',
      'toolCall.finished',
      'toolCall.started',
      'toolCall.prepared',
      'toolCall.result',
      'toolCall.finished',
    ]);
    const outcomes = calls.flatMap((event) =>
      event.type === 'toolCall.result' ? [event.data.outcome] : [],
    );
    expect(outcomes).toEqual(['completed', 'failed']);
    expect(h.tracker.capture('run-1')?.inFlight).toBe(0);
  });

  it('sends the token getToken returns now on every forward, and never shows it to the agent', async () => {
    const upstream = await httpUpstream();
    let token = 'first-token';
    upstream.token = token;
    const h = await startProxy({ upstream: { url: upstream.url, getToken: () => token } });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'a' } });
    token = upstream.token = 'rotated-token';
    await agent.callTool({ name: 'echo', arguments: { text: 'b' } });
    expect(upstream.authorizations.at(-1)).toBe('Bearer rotated-token');
    expect(upstream.authorizations).not.toContain(
      `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
    );
    expect(JSON.stringify(h.events())).not.toContain('token');
  });
});

describe('proxy: cancellation', () => {
  it('passes notifications/cancelled to the upstream under its own id and records the call cancelled', async () => {
    const upstream = await httpUpstream(['gate']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    const controller = new AbortController();
    const started = upstream.gateStarted();
    const call = agent
      .callTool({ name: 'gate', arguments: {} }, undefined, { signal: controller.signal })
      .catch((error: unknown) => error);
    await started;
    const finished = nextEvent(h.tracker, (event) => event.type === 'toolCall.finished');
    const cancelled = upstream.gateCancelled();
    controller.abort('the agent gave up');
    await call;
    await finished;
    await expect(cancelled).resolves.toBe('the agent gave up');
    const result = h.events().find((event) => event.type === 'toolCall.result');
    expect(result).toMatchObject({ data: { outcome: 'cancelled', reason: 'the agent gave up' } });
    await expect(settled(h)).resolves.toMatchObject({ inFlight: 0 });
  });
});

describe('proxy: several agents on one upstream session', () => {
  it('keeps colliding request ids and progress tokens of two agents apart', async () => {
    const upstream = await httpUpstream(['progress', 'echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    h.tracker.beginCapture('run-2');
    const [a, b] = await Promise.all([h.connect(), h.connect({ capture: 'run-2' })]);
    const seen = { a: [] as number[], b: [] as number[] };
    const [ra, rb] = await Promise.all([
      a.callTool({ name: 'progress', arguments: {} }, CallToolResultSchema, {
        onprogress: (update) => seen.a.push(update.progress),
      }),
      b.callTool({ name: 'progress', arguments: {} }, CallToolResultSchema, {
        onprogress: (update) => seen.b.push(update.progress),
      }),
    ]);
    expect([ra.content, rb.content]).toEqual([
      [{ type: 'text', text: 'done' }],
      [{ type: 'text', text: 'done' }],
    ]);
    expect(seen).toEqual({ a: [1, 2], b: [1, 2] });
    const [ea, eb] = await Promise.all([
      a.callTool({ name: 'echo', arguments: { text: 'a' } }),
      b.callTool({ name: 'echo', arguments: { text: 'b' } }),
    ]);
    expect([ea.structuredContent, eb.structuredContent]).toEqual([
      { echoed: 'a' },
      { echoed: 'b' },
    ]);
  });
});

describe('proxy: an agent that goes away', () => {
  it('cancels its call upstream and records the outcome as unknown', async () => {
    const upstream = await httpUpstream(['gate']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    await h.proxy.refreshTools();
    const started = upstream.gateStarted();
    const cancelled = upstream.gateCancelled();
    const req = request({
      host: '127.0.0.1',
      port: h.proxy.port,
      method: 'POST',
      path: '/mcp',
      agent: false,
      headers: await rawSession(h.proxy as Proxy<unknown>),
    });
    req.on('error', () => undefined);
    req.end(toolsCall('gate'));
    await started;
    const result = nextEvent(h.tracker, (event) => event.type === 'toolCall.result');
    req.destroy();
    await expect(cancelled).resolves.toBe('the agent went away before the result was delivered');
    await expect(result).resolves.toMatchObject({ data: { outcome: 'unknown' } });
    await expect(settled(h)).resolves.toMatchObject({ inFlight: 0 });
  });
});

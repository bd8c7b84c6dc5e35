import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { backoffDelay } from '../../src/mcp/proxy/upstream/backoff.js';
import { advance } from '../../src/testing/advance.js';
import { httpUpstream, nextNotice, startProxy, upstreamIs } from './support.js';

describe('proxy: upstream outages', () => {
  it('computes bounded, jittered, growing delays that never drop below half the ceiling', () => {
    const options = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, () => 0, options))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, () => 0.999999, options))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(1_000, () => 0.5, options)).toBe(750);
  });

  it('serves the cached list, answers -32002, backs off on virtual time, and recovers without a restart', async () => {
    const upstream = await httpUpstream(['echo', 'fail']);
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: clock,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    const agent = await h.connect();
    const listed = (await agent.listTools()).tools;

    const down = nextNotice(h.proxy, upstreamIs('down'));
    await upstream.stop();
    const failure = await agent
      .callTool({ name: 'echo', arguments: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(McpError);
    expect(failure).toMatchObject({ code: -32002 });
    await expect(down).resolves.toMatchObject({ data: { retryInMs: 75 } });
    expect((await agent.listTools()).tools).toEqual(listed);

    // Nothing is attempted until the scheduled time: no tight loop against a dead server.
    const connectingBefore = h.notices.filter(upstreamIs('connecting')).length;
    const again = nextNotice(h.proxy, upstreamIs('down'));
    // Exactly the wait, not to the end of time: the new attempt's connect deadline must not pass.
    advance(clock, 75);
    await expect(again).resolves.toMatchObject({ data: { retryInMs: 150 } });
    expect(h.notices.filter(upstreamIs('connecting')).length).toBe(connectingBefore + 1);

    await upstream.start();
    const up = nextNotice(h.proxy, upstreamIs('up'));
    advance(clock, 150);
    await up;
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'back' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'back' });
    const outcomes = h
      .events()
      .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.outcome] : []));
    expect(outcomes).toEqual(['failed', 'completed']);
  });

  it('starts a new session once when the upstream answers 404 for it, and sends the call once', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'one' } });
    upstream.forgetSessions();
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'two' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'two' });
    expect(upstream.runs.get('echo')).toBe(2);
    // The agent's own upstream session was replaced: the upstream itself never went away.
    expect(h.notices.filter(upstreamIs('down'))).toEqual([]);
  });

  it('fails a call in flight when the upstream goes away, with outcome unknown, and does not resend it', async () => {
    const upstream = await httpUpstream(['gate']);
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: new VirtualTimeScheduler(),
    });
    const agent = await h.connect();
    const started = upstream.gateStarted();
    const call = agent.callTool({ name: 'gate', arguments: {} }).catch((e: unknown) => e);
    await started;
    await upstream.stop();
    await expect(call).resolves.toMatchObject({ code: -32002, data: { outcome: 'unknown' } });
    expect(upstream.runs.get('gate')).toBe(1);
    const outcomes = h
      .events()
      .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.outcome] : []));
    expect(outcomes).toEqual(['unknown']);
  });
});

describe('proxy: upstream down from the start', () => {
  it('still answers initialize, and tools/list gets -32002 until a list was ever seen', async () => {
    const upstream = await httpUpstream(['echo']);
    await upstream.stop();
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: new VirtualTimeScheduler(),
    });
    const agent = await h.connect();
    expect(agent.getServerVersion()).toEqual({ name: 'toolflight-proxy', version: '0.1.0' });
    expect(agent.getServerCapabilities()?.tools?.listChanged).toBe(true);
    await expect(agent.listTools()).rejects.toMatchObject({ code: -32002 });
  });

  it('hands an unreachable call to the outbox seam, whose result the agent gets instead of -32002', async () => {
    const upstream = await httpUpstream(['send_mail']);
    const seen: string[] = [];
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: new VirtualTimeScheduler(),
      onUnreachable: (call) => {
        seen.push(`${call.toolName} ${call.tool?.name ?? '?'}`);
        return { content: [{ type: 'text', text: 'queued' }], structuredContent: { queued: true } };
      },
    });
    const agent = await h.connect();
    await agent.listTools();
    await upstream.stop();
    const queued = await agent.callTool({ name: 'send_mail', arguments: { to: 'ops' } });
    expect(queued.structuredContent).toEqual({ queued: true });
    expect(seen).toEqual(['send_mail send_mail']);
  });
});

describe('proxy: a rotated token ends the wait', () => {
  it('retries at once on refreshTools instead of waiting out the backoff', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'new-token';
    let token = 'old-token';
    const h = await startProxy({
      upstream: { url: upstream.url, getToken: () => token },
      scheduler: new VirtualTimeScheduler(),
      random: () => 0,
    });
    const down = nextNotice(h.proxy, upstreamIs('down'));
    const agent = await h.connect();
    await down;
    expect(h.proxy.visibleTools()).toEqual([]);
    token = 'new-token';
    const tools = await h.proxy.refreshTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo']);
    expect(h.proxy.upstreamState()).toBe('up');
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'now' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'now' });
  });

  it('renews an expired token through refreshToken when it connects, and tries once more', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'fresh';
    let token = 'expired';
    let refreshed = 0;
    const h = await startProxy({
      upstream: {
        url: upstream.url,
        getToken: () => token,
        refreshToken: () => {
          refreshed += 1;
          token = 'fresh';
        },
      },
    });
    const agent = await h.connect();
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'renewed' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'renewed' });
    // The proxy's own session and the agent's were refused together: one renewal for both.
    expect(refreshed).toBe(1);
    expect(upstream.authorizations[0]).toBe('Bearer expired');
    expect(upstream.authorizations).toContain('Bearer fresh');
    expect(h.notices.some((n) => n.type === 'upstream.changed' && n.data.state === 'down')).toBe(
      false,
    );
  });

  it('goes down with the refusal when a renewed token is refused too (no loop)', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'never-this';
    let refreshed = 0;
    const h = await startProxy({
      upstream: {
        url: upstream.url,
        getToken: () => 'wrong',
        refreshToken: () => void refreshed++,
      },
      scheduler: new VirtualTimeScheduler(),
      random: () => 0,
    });
    const down = nextNotice(h.proxy, upstreamIs('down'));
    await h.connect();
    const notice = await down;
    expect(refreshed).toBe(1);
    expect(notice.type === 'upstream.changed' && notice.data.reason).toMatch(/401/);
  });
});

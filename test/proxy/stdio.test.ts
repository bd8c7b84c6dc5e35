import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { VirtualClock } from '../mcp/support.js';
import { nextNotice, startProxy, stdioUpstream, upstreamIs } from './support.js';

/** Whether a process of this pid still exists (signal 0 checks without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

// The fixture child compiles TypeScript as it starts: allow for a loaded machine.
describe('proxy: a stdio upstream process', { timeout: 30_000 }, () => {
  it('starts the child lazily, initializes it, and passes tools and results through', async () => {
    const h = await startProxy({ upstream: stdioUpstream() });
    expect(h.proxy.upstreamState()).toBe('connecting');
    expect(h.notices).toEqual([]);
    const agent = await h.connect();
    expect(agent.getServerVersion()).toEqual({ name: 'fixture-stdio', version: '1.0.0' });
    const { tools } = await agent.listTools();
    expect(tools.map((tool) => tool.name)).toEqual([
      'echo',
      'fail',
      'progress',
      'hang',
      'die',
      'count',
      'env',
      'leak_env',
      'pid',
    ]);
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'over stdio' } });
    expect(echoed).toEqual({
      content: [{ type: 'text', text: 'over stdio' }],
      structuredContent: { echoed: 'over stdio' },
    });
    expect(h.proxy.upstreamState()).toBe('up');
  });

  it('turns stderr lines into upstream.changed notices', async () => {
    const h = await startProxy({ upstream: stdioUpstream() });
    const line = nextNotice(
      h.proxy,
      (n) => n.type === 'upstream.changed' && (n.data.stderr ?? '').startsWith('fixture: started'),
    );
    await h.connect();
    await expect(line).resolves.toMatchObject({ data: { server: 'fixture-stdio' } });
  });

  it('fails every pending call at once with the exit code and the stderr tail when the child exits, and ends the session: the next one gets a fresh child', async () => {
    const h = await startProxy({ upstream: stdioUpstream() });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'warm' } });
    const hanging = agent
      .callTool({ name: 'hang', arguments: {} })
      .catch((error: unknown) => error);
    const dying = agent.callTool({ name: 'die', arguments: {} }).catch((error: unknown) => error);
    for (const failure of await Promise.all([hanging, dying])) {
      expect(failure).toBeInstanceOf(McpError);
      expect(failure).toMatchObject({ code: -32002, data: { outcome: 'unknown' } });
      expect((failure as Error).message).toContain('exit code 7');
      expect((failure as Error).message).toContain('fixture: last words');
    }
    const outcomes = h
      .events()
      .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.outcome] : []));
    expect(outcomes).toEqual(['completed', 'unknown', 'unknown']);
    // What the child held went with it: the agent's session ended, and the proxy is still up.
    expect(h.proxy.sessions()).toBe(0);
    expect(h.proxy.upstreamState()).toBe('up');
    // A fresh child for the agent's new session: its run counter starts again.
    const again = await h.connect();
    const counted = await again.callTool({ name: 'count', arguments: {} });
    expect(counted.content).toEqual([{ type: 'text', text: '{"count":1}' }]);
  });

  it('gives the child a clean environment', async () => {
    process.env.TOOLFLIGHT_PROXY_TEST_SECRET = 'must-not-leak';
    try {
      const h = await startProxy({ upstream: { ...stdioUpstream(), env: { EXTRA: '1' } } });
      const agent = await h.connect();
      const seen = await agent.callTool({ name: 'env', arguments: {} });
      expect(seen.content).toEqual([{ type: 'text', text: 'EXTRA' }]);
    } finally {
      delete process.env.TOOLFLIGHT_PROXY_TEST_SECRET;
    }
  });

  it('answers initialize and -32002 when the child cannot start, and backs off', async () => {
    const h = await startProxy({ upstream: stdioUpstream('--boom') });
    const down = nextNotice(h.proxy, upstreamIs('down'));
    const agent = await h.connect();
    expect(agent.getServerCapabilities()?.tools?.listChanged).toBe(true);
    const notice = await down;
    expect(notice.type === 'upstream.changed' && notice.data.reason).toContain('exit code 3');
    const failure = await agent
      .callTool({ name: 'echo', arguments: {} })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: -32002 });
  });

  it('a stdio child that never answers initialize stayed connecting: after connectTimeoutMs it is stopped and the upstream is down, backing off', async () => {
    const clock = new VirtualClock();
    const h = await startProxy({
      upstream: stdioUpstream('--mute'),
      scheduler: clock,
      connectTimeoutMs: 5000,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    const ignoring = nextNotice(
      h.proxy,
      (n) =>
        (n.type === 'upstream.changed' && n.data.stderr?.startsWith('fixture: ignoring')) === true,
    );
    const connecting = h.connect();
    // The child has the proxy's initialize in hand: only now does the clock move.
    const notice = await ignoring;
    const pid = Number(/pid (\d+)/.exec(JSON.stringify(notice.data))?.[1]);
    expect(running(pid)).toBe(true);
    const down = nextNotice(h.proxy, upstreamIs('down'));
    clock.advance(5000);
    await expect(down).resolves.toMatchObject({
      data: {
        reason:
          'the upstream process did not start and answer initialize within 5000 ms (connectTimeoutMs), so it was stopped',
        retryInMs: 75,
      },
    });
    expect(running(pid)).toBe(false);
    // The agent that waited gets the proxy's own initialize answer.
    const agent = await connecting;
    expect(agent.getServerVersion()).toEqual({ name: 'toolflight-proxy', version: '0.1.0' });
    await expect(agent.callTool({ name: 'echo', arguments: {} })).rejects.toMatchObject({
      code: -32002,
    });
  });

  it('stops a child still starting when the proxy closes, and resolves only once it is gone', async () => {
    const h = await startProxy({
      upstream: stdioUpstream('--mute'),
      scheduler: new VirtualClock(),
    });
    const ignoring = nextNotice(
      h.proxy,
      (n) =>
        (n.type === 'upstream.changed' && n.data.stderr?.startsWith('fixture: ignoring')) === true,
    );
    const connecting = h.connect().catch(() => undefined);
    const notice = await ignoring;
    const pid = Number(/pid (\d+)/.exec(JSON.stringify(notice.data))?.[1]);
    expect(running(pid)).toBe(true);
    await h.proxy.close();
    expect(running(pid)).toBe(false);
    expect(h.proxy.upstreamState()).toBe('closed');
    await connecting;
  });
});

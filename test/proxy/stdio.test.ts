import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { nextNotice, startProxy, stdioUpstream, upstreamIs } from './support.js';

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

  it('fails every pending call at once with the exit code and the stderr tail when the child exits, then restarts it', async () => {
    const h = await startProxy({ upstream: stdioUpstream() });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'warm' } });
    const exited = nextNotice(h.proxy, upstreamIs('exited'));
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
    const notice = await exited;
    expect(notice.type === 'upstream.changed' && notice.data.reason).toContain('exit code 7');
    const outcomes = h
      .events()
      .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.outcome] : []));
    expect(outcomes).toEqual(['completed', 'unknown', 'unknown']);
    // A fresh child: its run counter starts again.
    const counted = await agent.callTool({ name: 'count', arguments: {} });
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
});

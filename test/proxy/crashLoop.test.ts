// A stdio server that dies before it answers anything is a failed start: the proxy backs off on
// the (virtual) scheduler instead of spawning a child for every call, and says why meanwhile.
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import type { ProxyNotice } from '../../src/mcp/index.js';
import { advance } from '../../src/testing/advance.js';
import { nextNotice, startProxy, stdioUpstream, upstreamIs } from './support.js';

/** How many children started, by the line each writes first. */
const spawns = (notices: readonly ProxyNotice[]): number =>
  notices.filter(
    (n) => n.type === 'upstream.changed' && (n.data.stderr ?? '').startsWith('fixture: started'),
  ).length;

// The fixture child compiles TypeScript as it starts: allow for a loaded machine.
describe('proxy: a stdio upstream in a crash loop', { timeout: 30_000 }, () => {
  it('fails calls fast while it waits out a growing backoff, and starts one child per wait', async () => {
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({
      upstream: stdioUpstream('--exit-after-initialize'),
      scheduler: clock,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    // Either way it goes, so that a child restarted without a backoff fails here, not by timeout.
    const down = nextNotice(h.proxy, (n) => upstreamIs('down')(n) || upstreamIs('exited')(n));
    const agent = await h.connect();
    const first = await down;
    expect(first).toMatchObject({ data: { state: 'down', retryInMs: 75 } });
    expect(first.type === 'upstream.changed' && first.data.reason).toContain('exit code 5');

    const callAll = () =>
      Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          agent.callTool({ name: 'echo', arguments: { text: `${n}` } }).catch((e: unknown) => e),
        ),
      );
    for (const failure of await callAll()) {
      expect(failure).toBeInstanceOf(McpError);
      expect(failure).toMatchObject({ code: -32002, data: { outcome: 'not_sent' } });
      const message = (failure as Error).message;
      expect(message).toContain('exited before answering; next start in 75 ms');
      expect(message).toContain('fixture: leaving after initialize');
    }
    expect(spawns(h.notices)).toBe(1);

    // The wait elapses: one more child, which dies too, and a longer wait.
    const again = nextNotice(h.proxy, upstreamIs('down'));
    // Exactly the wait, not to the end of time: the new child's connect deadline must not pass.
    advance(clock, 75);
    await expect(again).resolves.toMatchObject({ data: { retryInMs: 150 } });
    expect(spawns(h.notices)).toBe(2);
    for (const failure of await callAll()) {
      expect((failure as Error).message).toContain('2 times in a row; next start in 150 ms');
    }
    expect(spawns(h.notices)).toBe(2);
    expect(h.notices.some(upstreamIs('exited'))).toBe(false);
  });

  it('ends the session of a child that served calls, and starts the next session’s child at once, without a backoff', async () => {
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({ upstream: stdioUpstream(), scheduler: clock });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'served' } });
    await agent.callTool({ name: 'die', arguments: {} }).catch(() => undefined);
    expect(h.proxy.sessions()).toBe(0);
    // The agent initializes again; the clock never moves: a start that waited for a backoff fails.
    const again = await h.connect();
    const counted = await again.callTool({ name: 'count', arguments: {} });
    expect(counted.content).toEqual([{ type: 'text', text: '{"count":1}' }]);
    expect(spawns(h.notices)).toBe(2);
    expect(h.notices.some((n) => upstreamIs('down')(n) || upstreamIs('exited')(n))).toBe(false);
  });
});

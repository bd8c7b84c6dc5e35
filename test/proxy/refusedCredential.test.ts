// Issue 12 §7: an upstream that refuses the proxy's credential (HTTP 401/403 on its initialize)
// while nothing can renew it (no refreshToken). Retrying on a backoff timer would be refused
// forever; the link waits down, says why in a sentence, and the next request tries once more.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import type { ProxyNotice } from '../../src/mcp/index.js';
import { httpUpstream, nextNotice, startProxy, upstreamIs } from './support.js';

const downReason = (notice: ProxyNotice) =>
  notice.type === 'upstream.changed' ? notice.data : undefined;

/** A proxy whose upstream wants token `right` and is first sent `token.value` (none). */
async function refusedAtStart() {
  const upstream = await httpUpstream(['echo']);
  upstream.token = 'right';
  const token: { value: string | undefined } = { value: undefined };
  const clock = new VirtualTimeScheduler();
  const h = await startProxy({
    upstream: { url: upstream.url, getToken: () => token.value },
    scheduler: clock,
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1000 },
  });
  // createProxy connects an HTTP upstream at once; its refusal arrives after it returned.
  const down = await nextNotice(h.proxy, upstreamIs('down'));
  return { upstream, token, clock, h, down };
}

describe('proxy: a refused credential without refreshToken', () => {
  it('does not retry a refused credential on a backoff timer forever (issue 12 §7): down with a reason, no timer', async () => {
    const { upstream, clock, h, down } = await refusedAtStart();
    expect(downReason(down)?.reason).toBe(
      "the upstream refused the proxy's credential: HTTP 401 (bad upstream token); give the proxy a token it accepts (not retried until the next request)",
    );
    expect(downReason(down)?.retryInMs).toBeUndefined();
    expect(h.proxy.upstreamState()).toBe('down');
    // Nothing is scheduled, and running the scheduler to its end sends nothing.
    expect(clock.actions).toHaveLength(0);
    const sent = upstream.authorizations.length;
    const notices = h.notices.length;
    clock.flush();
    expect(upstream.authorizations.length).toBe(sent);
    expect(h.notices.length).toBe(notices);
  });

  it('prints a sentence, not the outcome as JSON (issue 12 §7)', async () => {
    const { down } = await refusedAtStart();
    expect(downReason(down)?.reason).not.toMatch(/[{}]|"kind"/);
  });

  it('tries once more on the next agent request, which finds the token the source has now', async () => {
    const { upstream, token, clock, h } = await refusedAtStart();
    const sent = upstream.authorizations.length;
    token.value = 'right';
    const up = nextNotice(h.proxy, upstreamIs('up'));
    const agent = await h.connect();
    await up;
    expect(upstream.authorizations.slice(sent, sent + 1)).toEqual(['Bearer right']);
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'in' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'in' });
    expect(clock.actions).toHaveLength(0);
  });

  it('tries exactly once per request while the token is still refused, and never on the scheduler', async () => {
    const { upstream, clock, h } = await refusedAtStart();
    const sent = upstream.authorizations.length;
    const again = nextNotice(h.proxy, upstreamIs('down'));
    // An agent's initialize is answered by the proxy itself while the upstream is down.
    await h.connect();
    await again;
    // Its GET stream open, the agent's session has no idle timer: any action left is a retry.
    await expect.poll(() => h.proxy.openStreams()).toBe(1);
    expect(upstream.authorizations.slice(sent)).toEqual(['']);
    expect(clock.actions).toHaveLength(0);
    clock.flush();
    expect(upstream.authorizations.length).toBe(sent + 1);
  });

  it('tries once more on refreshTools, and comes up when the token source has changed', async () => {
    const { token, clock, h } = await refusedAtStart();
    token.value = 'right';
    const tools = await h.proxy.refreshTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo']);
    expect(h.proxy.upstreamState()).toBe('up');
    expect(clock.actions).toHaveLength(0);
  });

  it('still backs off on the scheduler when a refreshToken was given and its token is refused too', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'right';
    let refreshes = 0;
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({
      upstream: {
        url: upstream.url,
        getToken: () => 'wrong',
        refreshToken: () => void refreshes++,
      },
      scheduler: clock,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    const down = await nextNotice(h.proxy, upstreamIs('down'));
    expect(refreshes).toBe(1);
    expect(downReason(down)).toMatchObject({
      reason: 'the upstream refused initialize: HTTP 401 (bad upstream token)',
      retryInMs: 75,
    });
    expect(clock.actions).toHaveLength(1);
  });
});

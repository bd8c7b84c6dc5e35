// An upstream token that expires mid-session: the proxy holds the credential, so it renews it
// for an agent's call refused 401 and sends the call again; the agent never holds the token.
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import type { HttpUpstreamFixture } from '../fixtures/proxy/httpUpstream.js';
import { httpUpstream, startProxy, upstreamIs } from './support.js';

/** A proxy whose agent is connected (token `old` accepted); `renew` is what refreshToken does. */
async function connected(upstream: HttpUpstreamFixture, renew: (live: { token: string }) => void) {
  upstream.token = 'old';
  const live = { token: 'old' };
  let refreshes = 0;
  const h = await startProxy({
    upstream: {
      url: upstream.url,
      getToken: () => live.token,
      refreshToken: async () => {
        refreshes += 1;
        // Asynchronous, like a real token endpoint: concurrent refusals meet it in flight.
        await Promise.resolve();
        renew(live);
      },
    },
  });
  const agent = await h.connect();
  await agent.listTools();
  return { h, agent, refreshes: () => refreshes };
}

const outcomes = (events: readonly { type: string; data?: unknown }[]) =>
  events.flatMap((event) =>
    event.type === 'toolCall.result' ? [(event.data as { outcome: string }).outcome] : [],
  );

describe('proxy: an upstream token that expires mid-session', () => {
  it("renews it for an agent's call refused 401, which the agent sees only succeed", async () => {
    const upstream = await httpUpstream(['echo']);
    const { h, agent, refreshes } = await connected(upstream, (live) => (live.token = 'fresh'));
    upstream.token = 'fresh';
    const seen = upstream.authorizations.length;
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'renewed' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'renewed' });
    expect(refreshes()).toBe(1);
    expect(upstream.authorizations.slice(seen)).toEqual(['Bearer old', 'Bearer fresh']);
    expect(upstream.runs.get('echo')).toBe(1);
    expect(outcomes(h.events())).toEqual(['completed']);
    // Same session, no outage: the renewal is not a reconnection.
    expect(h.notices.filter(upstreamIs('up'))).toHaveLength(1);
    expect(h.notices.some(upstreamIs('down'))).toBe(false);
  });

  it("passes the upstream's refusal to the agent when the renewed token is refused too", async () => {
    const upstream = await httpUpstream(['echo']);
    const { h, agent, refreshes } = await connected(upstream, (live) => (live.token = 'stale'));
    upstream.token = 'fresh';
    const failure = await agent
      .callTool({ name: 'echo', arguments: { text: 'x' } })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(McpError);
    // The fixture's own JSON-RPC error, verbatim, as for any refusal the proxy passes on.
    expect(failure).toMatchObject({ code: -32001 });
    expect((failure as Error).message).toContain('bad upstream token');
    expect(refreshes()).toBe(1);
    expect(upstream.runs.get('echo')).toBeUndefined();
    expect(outcomes(h.events())).toEqual(['failed']);
    expect(h.proxy.upstreamState()).toBe('up');
  });

  it('shares one refresh among concurrent calls refused 401 together', async () => {
    const upstream = await httpUpstream(['echo']);
    const { h, agent, refreshes } = await connected(upstream, (live) => (live.token = 'fresh'));
    upstream.token = 'fresh';
    const texts = ['a', 'b', 'c', 'd', 'e', 'f'];
    const echoed = await Promise.all(
      texts.map((text) => agent.callTool({ name: 'echo', arguments: { text } })),
    );
    expect(echoed.map((result) => result.structuredContent)).toEqual(
      texts.map((text) => ({ echoed: text })),
    );
    expect(refreshes()).toBe(1);
    expect(upstream.runs.get('echo')).toBe(texts.length);
    expect(outcomes(h.events())).toEqual(texts.map(() => 'completed'));
  });
});

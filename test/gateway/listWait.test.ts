// A server that hangs never holds the others up: an agent's `tools/list` waits `listWaitMs` (on
// the gateway's scheduler) for a server that has not answered, then answers without it; the
// hung server's connection attempt ends at `connectTimeoutMs`, and it is down, not the gateway.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';

import { VirtualClock } from '../mcp/support.js';
import { agentTransport } from '../proxy/support.js';
import { connectAgent, fixture, named, startGateway, stderrOf, tempDir } from './support.js';

describe('a gateway with a hung server', { timeout: 60_000 }, () => {
  it('answers tools/list with the other servers once listWaitMs passed, and the hung one is down', async () => {
    const clock = new VirtualClock();
    const { gateway } = await startGateway({
      servers: { good: named('good', 'a', 'b'), hung: fixture('--mute') },
      scheduler: clock,
      listWaitMs: 2_000,
      connectTimeoutMs: 10_000,
    });
    const said = stderrOf(gateway);
    const agent = await connectAgent(gateway);
    const listing = agent.listTools(undefined, { timeout: 60 * 60_000 });
    // Both children of each server (the server's own, this agent's) have been asked.
    await expect.poll(() => said('good', /listed$/), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => said('hung', /ignoring initialize/), { timeout: 30_000 }).toBe(2);
    clock.advance(2_000);
    const { tools } = await listing;
    expect(tools.map((tool) => tool.name).sort()).toEqual(['good__a', 'good__b']);

    clock.advance(8_000);
    await expect
      .poll(() => gateway.servers().find((s) => s.name === 'hung')?.state, { timeout: 30_000 })
      .toBe('down');
    expect(gateway.servers().find((s) => s.name === 'good')?.state).toBe('up');
    const inventory = gateway.inventory();
    expect(inventory.servers.map((s) => [s.server, s.state, s.notice ?? s.tools.length])).toEqual([
      ['good', 'up', 2],
      ['hung', 'down', 'mcp-not-yet-connected'],
    ]);
  });

  it('tells the agent list_changed once a slow server lists after the agent was answered', async () => {
    const clock = new VirtualClock();
    const go = join(tempDir('hold'), 'go');
    const { gateway } = await startGateway({
      servers: {
        good: named('good', 'a'),
        slow: { ...named('slow', 'z'), env: { NAMED_HOLD: go } },
      },
      scheduler: clock,
      listWaitMs: 2_000,
    });
    const said = stderrOf(gateway);
    let changed = 0;
    const agent = new Client({ name: 'agent', version: '1.0.0' });
    agent.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    await agent.connect(agentTransport(gateway.url, gateway.credential({ capture: 'run-1' })));
    onTestFinished(() => agent.close());
    const listing = agent.listTools(undefined, { timeout: 60 * 60_000 });
    await expect.poll(() => said('good', /listed$/), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => said('slow', /held$/), { timeout: 30_000 }).toBe(2);
    clock.advance(2_000);
    expect((await listing).tools.map((tool) => tool.name)).toEqual(['good__a']);

    writeFileSync(go, '');
    await expect.poll(() => changed, { timeout: 30_000 }).toBe(1);
    expect((await agent.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'good__a',
      'slow__z',
    ]);
  });
});

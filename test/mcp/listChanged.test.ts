import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import type { LoopbackRole, LoopbackTool } from '../../src/mcp/index.js';
import { bearer, clientTransport, echoTool, onCleanup, raw, startHarness } from './support.js';

const tool = (name: string, extra: Partial<LoopbackTool> = {}): LoopbackTool => ({
  ...echoTool,
  name,
  ...extra,
});

/**
 * An SDK client whose SSE stream is open, counting `list_changed` notifications; `next()`
 * resolves on the next one.
 */
async function listener(h: Awaited<ReturnType<typeof startHarness>>, role: LoopbackRole) {
  let streamOpen!: () => void;
  const opened = new Promise<void>((resolve) => (streamOpen = resolve));
  const client = new Client({ name: 'listener', version: '1.0.0' });
  let count = 0;
  let wake: (() => void) | undefined;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    count++;
    wake?.();
  });
  await client.connect(
    clientTransport(h.server, role, 'run-1', (method, response) => {
      if (method === 'GET' && response.ok) streamOpen();
    }),
  );
  onCleanup(() => client.close());
  await opened;
  return {
    client,
    count: () => count,
    next: () => new Promise<void>((resolve) => (wake = resolve)),
  };
}

describe('loopback server: tools/list_changed', () => {
  it('advertises tools.listChanged', async () => {
    const h = await startHarness();
    const client = await h.connect();
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
  });

  it('notifies an open SSE stream when the tool set changes, and not when it stays the same', async () => {
    const h = await startHarness({ tools: [tool('a')] });
    const agent = await listener(h, 'owner');
    expect(h.server.openStreams()).toBe(1);

    h.server.setTools([tool('a')]);
    const changed = agent.next();
    h.server.setTools([tool('a'), tool('b')]);
    await changed;
    // Both went down the same ordered stream: had the first been sent, it would be counted.
    expect(agent.count()).toBe(1);
    expect((await agent.client.listTools()).tools.map((t) => t.name)).toEqual(['a', 'b']);

    const described = agent.next();
    h.server.setTools([tool('a'), tool('b', { description: 'now documented' })]);
    await described;
    expect(agent.count()).toBe(2);
  });

  it('does not tell a non-owner about changes to owner-only tools', async () => {
    const h = await startHarness({ tools: [tool('a')] });
    const owner = await listener(h, 'owner');
    const other = await listener(h, 'non-owner');

    const ownerSaw = owner.next();
    h.server.setTools([tool('a'), tool('secret', { ownerOnly: true })]);
    await ownerSaw;
    const otherSaw = other.next();
    h.server.setTools([tool('a'), tool('secret', { ownerOnly: true }), tool('b')]);
    await otherSaw;
    expect(other.count()).toBe(1);
    expect((await other.client.listTools()).tools.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('keeps the previous tools when setTools is given a definition it cannot serve', async () => {
    const h = await startHarness({ tools: [tool('a')] });
    expect(() => h.server.setTools([tool('b'), tool('b')])).toThrow(/registered twice/);
    expect(h.server.tools().map((t) => t.name)).toEqual(['a']);
    const client = await h.connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a']);
  });

  it('answers a GET that does not accept an event stream with 406', async () => {
    const h = await startHarness();
    const response = await raw(h.server, {
      method: 'GET',
      headers: { Authorization: bearer(h.server), Accept: 'application/json' },
    });
    expect(response.status).toBe(406);
    expect(h.server.openStreams()).toBe(0);
  });
});

// The inventory: what an agent of a capture can use now, from the log alone. Reading it never
// connects, lists or starts anything; it says why a server has no tools (never connected, not
// listed yet, its configuration changed since it listed).
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it, onTestFinished } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createGateway, hideTools } from '../../src/mcp/index.js';
import { agentTransport } from '../proxy/support.js';
import { connectAgent, everything, memory, tempDir, toolsOnceListed } from './support.js';

/** An HTTP server that counts what reaches it (and answers nothing useful). */
async function countingServer(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/mcp`, hits: () => hits };
}

describe('gateway.inventory', { timeout: 60_000 }, () => {
  it('reads without any upstream traffic or child process: every server not yet connected', async () => {
    const marker = join(tempDir('marker'), 'started');
    const http = await countingServer();
    const tracker = createTracker({ store: createMemoryStore() });
    const gateway = await createGateway({
      tracker,
      servers: {
        local: {
          command: process.execPath,
          args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'started')`],
        },
        remote: { url: http.url },
      },
    });
    onTestFinished(() => gateway.close());
    const inventory = gateway.inventory();
    expect(inventory.servers.map((s) => [s.server, s.state, s.notice, s.tools.length])).toEqual([
      ['local', 'never', 'mcp-not-yet-connected', 0],
      ['remote', 'never', 'mcp-not-yet-connected', 0],
    ]);
    expect(inventory.tools).toEqual([]);
    expect(gateway.servers()).toEqual([
      { name: 'local', state: 'idle' },
      { name: 'remote', state: 'idle' },
    ]);
    await gateway.close();
    // Nothing started, nothing was sent, even by closing.
    expect(http.hits()).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('shows each listed server under the gateway names, narrowed by the capture, with its state', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    tracker.beginCapture('run-2');
    const gateway = await createGateway<string>({
      tracker,
      servers: { everything: everything(), memory: memory() },
      narrow: (tools, context) =>
        context === 'reader' ? hideTools(['*create*', '*delete*'])(tools, context) : tools,
    });
    onTestFinished(() => gateway.close());
    gateway.setContext('reader', { capture: 'run-2' });
    const agent = await connectAgent(gateway, 'run-1');
    // The agent's first list starts both servers; what it is shown once both have listed.
    const listed = await toolsOnceListed(gateway, agent);
    expect(gateway.inventory().servers.map((s) => s.notice ?? s.state)).toEqual(['up', 'up']);
    const all = gateway.inventory({ capture: 'run-1' });
    expect(all.tools.map((t) => t.name).sort()).toEqual(listed);
    expect(all.servers.every((s) => s.listedAt !== undefined && s.catalogAgeMs! >= 0)).toBe(true);
    const reader = gateway.inventory({ capture: 'run-2' });
    const readable = reader.tools.map((t) => t.name);
    expect(readable).toContain('memory__read_graph');
    expect(readable).not.toContain('memory__create_entities');
    expect(reader.tools.find((t) => t.name === 'memory__read_graph')).toMatchObject({
      server: 'memory',
      tool: 'read_graph',
    });
  });

  it('calls a catalog stale once its server is configured differently, and keeps the others', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    const first = await createGateway({
      tracker,
      servers: { everything: everything(), memory: memory() },
    });
    const agent = await connectAgent(first);
    await agent.listTools();
    await expect
      .poll(() => first.inventory().servers.map((s) => s.notice ?? s.state), { timeout: 30_000 })
      .toEqual(['up', 'up']);
    await agent.close();
    await first.close();

    // The same log, a gateway whose memory server is configured otherwise, never used yet.
    const second = await createGateway({
      tracker,
      servers: { everything: everything(), memory: { ...memory(), args: ['--other'] } },
    });
    onTestFinished(() => second.close());
    const inventory = second.inventory();
    expect(inventory.servers.map((s) => [s.server, s.notice])).toEqual([
      ['everything', undefined],
      ['memory', 'mcp-stale-catalog'],
    ]);
    expect(inventory.tools.some((t) => t.server === 'everything')).toBe(true);
    expect(inventory.tools.some((t) => t.server === 'memory')).toBe(false);
    expect(second.servers().map((s) => s.state)).toEqual(['idle', 'idle']);
  });
});

describe('gateway.inventory for one agent session', { timeout: 60_000 }, () => {
  it("reads as the session's capture sees it, and refuses a session that is not open", async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    const gateway = await createGateway<string>({
      tracker,
      servers: { everything: everything() },
      narrow: (tools, context) => (context === 'none' ? [] : tools),
    });
    onTestFinished(() => gateway.close());
    gateway.setContext('none', { capture: 'run-1' });
    const transport = agentTransport(gateway.url, gateway.credential({ capture: 'run-1' }));
    const agent = new Client({ name: 'agent', version: '1.0.0' });
    await agent.connect(transport);
    onTestFinished(() => agent.close());
    await agent.listTools();
    await expect
      .poll(() => gateway.inventory().tools.length, { timeout: 30_000 })
      .toBeGreaterThan(0);
    // The host-wide context shows every tool; this session's capture sees none.
    const session = transport.sessionId!;
    expect(gateway.inventory({ session })).toMatchObject({ capture: 'run-1', tools: [] });
    expect(() => gateway.inventory({ session: 'not-a-session' })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    );
  });
});

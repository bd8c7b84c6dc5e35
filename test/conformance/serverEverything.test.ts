// @modelcontextprotocol/server-everything, the MCP org's reference server, as a real upstream of
// the proxy, started as it ships (`mcp-server-everything stdio` / `streamableHttp`): an SDK
// client gets through the proxy the same answers as straight from the server.
import { once } from 'node:events';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createProxy, type ProxyUpstream } from '../../src/mcp/index.js';
import { agentTransport } from '../proxy/support.js';
import { EVERYTHING_BIN, startHttpEverything } from '../support/serverEverything.js';

const BIN = EVERYTHING_BIN;

/** A client connected straight to the server and one connected through a proxy before it. */
function clientsOf(mode: 'stdio' | 'streamableHttp') {
  const clients: { direct?: Client; proxied?: Client } = {};
  const stops: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    let upstream: ProxyUpstream;
    let direct: Transport;
    if (mode === 'stdio') {
      upstream = { command: process.execPath, args: [BIN, 'stdio'], name: 'server-everything' };
      direct = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'stdio'],
        stderr: 'ignore',
      });
    } else {
      const server = await startHttpEverything();
      stops.push(async () => {
        const exited = once(server.child, 'exit');
        server.child.kill();
        await exited;
      });
      upstream = { url: server.url };
      direct = new StreamableHTTPClientTransport(new URL(server.url));
    }
    const tracker = createTracker();
    tracker.beginCapture('everything');
    const proxy = await createProxy({ tracker, upstream });
    stops.unshift(() => proxy.close());
    clients.direct = new Client({ name: 'direct-agent', version: '1.0.0' });
    await clients.direct.connect(direct);
    stops.unshift(() => clients.direct!.close());
    clients.proxied = new Client({ name: 'proxied-agent', version: '1.0.0' });
    await clients.proxied.connect(
      agentTransport(proxy.url, proxy.credential({ capture: 'everything' })),
    );
    stops.unshift(() => clients.proxied!.close());
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  return {
    /** What `ask` gets directly and through the proxy, side by side. */
    both: async <T>(ask: (client: Client) => Promise<T>) => ({
      direct: await ask(clients.direct!),
      proxied: await ask(clients.proxied!),
    }),
  };
}

describe.each(['stdio', 'streamableHttp'] as const)(
  'server-everything (%s) behind the proxy',
  (mode) => {
    const { both } = clientsOf(mode);

    it('lists the tools it lists directly, definitions and all', async () => {
      const { direct, proxied } = await both((client) => client.listTools());
      expect(direct.tools.map((tool) => tool.name)).toEqual(
        expect.arrayContaining(['echo', 'get-sum']),
      );
      expect(proxied.tools).toEqual(direct.tools);
    });

    it('answers echo and get-sum as it does directly', async () => {
      const echo = await both((client) =>
        client.callTool({ name: 'echo', arguments: { message: 'through the proxy' } }),
      );
      expect(echo.direct.content).toEqual([{ type: 'text', text: 'Echo: through the proxy' }]);
      expect(echo.proxied).toEqual(echo.direct);
      const sum = await both((client) =>
        client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }),
      );
      expect(JSON.stringify(sum.direct.content)).toContain('42');
      expect(sum.proxied).toEqual(sum.direct);
    });

    it('lists its resources and reads one as it does directly', async () => {
      const listed = await both((client) => client.listResources());
      expect(listed.proxied).toEqual(listed.direct);
      // A document of its own docs folder: the same bytes on every read (its dynamic resources
      // say when they were made).
      const uri = listed.direct.resources.find((resource) =>
        resource.uri.startsWith('demo://resource/static/document/'),
      )?.uri;
      expect(uri).toBeDefined();
      const read = await both((client) => client.readResource({ uri: uri! }));
      expect(read.direct.contents.map((content) => content.uri)).toEqual([uri]);
      expect(read.proxied).toEqual(read.direct);
    });

    it('gets a prompt, with and without arguments, as it does directly', async () => {
      const simple = await both((client) => client.getPrompt({ name: 'simple-prompt' }));
      expect(simple.direct.messages.length).toBeGreaterThan(0);
      expect(simple.proxied).toEqual(simple.direct);
      const args = await both((client) =>
        client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon' } }),
      );
      expect(JSON.stringify(args.direct.messages)).toContain('Lisbon');
      expect(args.proxied).toEqual(args.direct);
    });
  },
);

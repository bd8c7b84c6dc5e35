// An agent ends its session while work of it is still on the way: what it ends stays its own.
import { once } from 'node:events';
import { createServer } from 'node:http';

import { describe, expect, it } from 'vitest';

import type { ToolflightEvent } from '../../src/index.js';
import { startHeldUpstream } from '../fixtures/proxy/heldUpstream.js';
import { nextNotice, onCleanup, rawSession, startProxy, upstreamIs } from './support.js';

/** An upstream that answers the handshake and lists `act`, and refuses every call with 401. */
async function refusingUpstream(): Promise<string> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id?: number;
        method: string;
      };
      const json = (result: unknown) =>
        res
          .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === 'initialize') {
        return json({
          protocolVersion: '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'refusing', version: '1' },
        });
      }
      if (message.method === 'tools/list') {
        return json({ tools: [{ name: 'act', inputSchema: { type: 'object' } }] });
      }
      if (message.method === 'tools/call') return void res.writeHead(401).end('expired');
      json({});
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
}

const call = (id: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'act', arguments: {} },
  });

describe('proxy: an agent ends its session while its work is on the way', () => {
  it("Seen: an agent's DELETE while its own upstream session was still connecting put the whole proxy down", async () => {
    const upstream = await startHeldUpstream();
    onCleanup(() => upstream.stop());
    const h = await startProxy({ upstream: { url: upstream.url } });
    if (h.proxy.upstreamState() !== 'up') await nextNotice(h.proxy, upstreamIs('up'));
    upstream.holding.add('initialize');
    const reached = upstream.next('initialize');
    // Answered at once from the handshake the proxy knows; the session's own one is held.
    const headers = await rawSession(h.proxy as never);
    await reached;
    const ended = await fetch(h.proxy.url, { method: 'DELETE', headers });
    expect(ended.status).toBe(200);
    expect(h.proxy.upstreamState()).toBe('up');
    expect(h.notices.filter(upstreamIs('down'))).toEqual([]);
  });

  it('Seen: a call waiting on a credential renewal when its agent DELETEd the session was sent again and reached the unreachable seam; it is cancelled', async () => {
    const url = await refusingUpstream();
    let refreshing!: () => void;
    let release!: () => void;
    const refreshStarted = new Promise<void>((resolve) => (refreshing = resolve));
    const unreachable: string[] = [];
    const h = await startProxy({
      upstream: {
        url,
        getToken: () => 'token-1',
        refreshToken: () => {
          refreshing();
          return new Promise<void>((resolve) => (release = resolve));
        },
      },
      onUnreachable: (refused) => void unreachable.push(refused.reason),
    });
    const headers = await rawSession(h.proxy as never);
    const answer = fetch(h.proxy.url, { method: 'POST', headers, body: call(2) }).then(
      (response) => response.json() as Promise<{ error?: { code: number } }>,
    );
    await refreshStarted;
    expect((await fetch(h.proxy.url, { method: 'DELETE', headers })).status).toBe(200);
    release();
    expect(await answer).toMatchObject({ error: { code: -32800 } });
    expect(unreachable).toEqual([]);
    const outcomes = h
      .events()
      .filter((event: ToolflightEvent) => event.type === 'toolCall.result')
      .map((event) => (event.data as { outcome: string }).outcome);
    expect(outcomes).toEqual(['cancelled']);
  });
});

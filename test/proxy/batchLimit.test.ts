// Issue 13: the loopback server refuses a batch of more than 100 messages (the SDK's limit), but
// the proxy forwarded each entry of any batch as its own upstream POST: 10,000 calls in one
// body became 10,001 upstream POSTs. Both servers refuse it now, the same way, before anything
// is forwarded or tracked as a tool call.
import { describe, expect, it } from 'vitest';

import { raw, rpcHeaders, startHarness, toolsCall } from '../mcp/support.js';
import { httpUpstream, rawSession, startProxy } from './support.js';

/** A batch of `size` echo calls. */
const batchOf = (size: number): string =>
  `[${Array.from({ length: size }, (_, n) => toolsCall('echo', { text: `${n}` }, n + 1)).join(',')}]`;

describe('proxy: a batch of more than 100 messages', () => {
  it('is refused as the loopback server refuses it, and nothing reaches the upstream', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    await h.proxy.refreshTools();
    // Refused before any session is looked up: the credential alone is enough to be judged.
    const requestsBefore = upstream.authorizations.length;
    const headers = {
      Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    };

    const refused = await raw({ host: '127.0.0.1', port: h.proxy.port } as never, {
      headers,
      body: batchOf(101),
    });
    const loopback = await startHarness();
    const byLoopback = await raw(loopback.server, {
      headers: rpcHeaders(loopback.server),
      body: batchOf(101),
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid Request: Batch must not exceed 100 messages' },
    });
    expect({ status: refused.status, json: refused.json }).toEqual({
      status: byLoopback.status,
      json: byLoopback.json,
    });
    expect(upstream.authorizations.length).toBe(requestsBefore);
    expect(upstream.runs.size).toBe(0);
    for (const events of [h.events(), loopback.events()]) {
      expect(events.filter((event) => event.type === 'toolCall.started')).toEqual([]);
    }

    // The limit itself is still served.
    const served = await raw({ host: '127.0.0.1', port: h.proxy.port } as never, {
      headers: await rawSession(h.proxy as never),
      body: batchOf(100),
    });
    expect(served.status).toBe(200);
    expect((served.json as { id: number }[]).map((answer) => answer.id)).toEqual(
      Array.from({ length: 100 }, (_, n) => n + 1),
    );
    expect(upstream.runs.get('echo')).toBe(100);
  });
});

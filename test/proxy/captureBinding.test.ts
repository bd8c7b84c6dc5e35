// Issue 14 §1 for the proxy: one shared secret let any agent report into any capture, and a
// request for no live capture was forwarded untracked. Agents now hold credentials bound to one
// capture key (`proxy.credential({ capture })`), the same helper as the loopback server's.
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';

import { describe, expect, it } from 'vitest';

import { createLoopbackServer, CAPTURE_HEADER, type Proxy } from '../../src/mcp/index.js';
import { createTracker } from '../../src/index.js';
import { onCleanup, raw, settled, toolsCall } from '../mcp/support.js';
import { httpUpstream, rawSession, startProxy } from './support.js';

const at = (proxy: Proxy) => ({ host: '127.0.0.1', port: proxy.port }) as never;

/** The `Mcp-Session-Id` header of a new session of `capture` (the proxy is stateful). */
const sessionOf = async (proxy: Proxy, capture: string) => {
  const { 'Mcp-Session-Id': id } = await rawSession(proxy as Proxy<unknown>, capture);
  return { 'Mcp-Session-Id': id! };
};

/** A tools/call of the upstream's `echo` through `proxy` with `credential` (and `extra` headers). */
const callEcho = (proxy: Proxy, credential: string, extra: Record<string, string> = {}) =>
  raw(at(proxy), {
    headers: {
      Authorization: `Bearer ${credential}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...extra,
    },
    body: toolsCall('echo', { text: 'hi' }),
  });

/** The request and tool-call events: what tracking an agent's request appends. */
const tracked = (events: readonly { type: string }[]) =>
  events.filter((event) => /^(request|toolCall)\./.test(event.type));

describe('proxy: a request for no live capture (issue 14 §1: it was forwarded untracked)', () => {
  it('refuses a call for a capture never begun, or cleared, with 409 and forwards nothing', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    const never = await callEcho(h.proxy, h.proxy.credential({ capture: 'c' }));
    expect(never.status).toBe(409);
    expect(never.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32000,
        message: expect.stringMatching(
          /^Conflict: capture "c" is not live .*before handing out its credential, or start the server with untracked: 'serve'/,
        ) as string,
      },
    });
    h.tracker.beginCapture('c');
    const credential = h.proxy.credential({ capture: 'c' });
    const session = await sessionOf(h.proxy, 'c');
    expect((await callEcho(h.proxy, credential, session)).status).toBe(200);
    h.tracker.clearCapture('c');
    expect((await callEcho(h.proxy, credential, session)).status).toBe(409);
    expect(upstream.runs.get('echo')).toBe(1);
    expect(
      tracked(h.events()).every((event) => (event as { capture?: string }).capture === 'c'),
    ).toBe(true);
  });

  it('refuses a GET stream for a capture that is not live', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    const open = async (
      capture: string,
      session: Record<string, string> = {},
    ): Promise<IncomingMessage> => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: h.proxy.port,
        method: 'GET',
        path: '/mcp',
        headers: {
          Authorization: `Bearer ${h.proxy.credential({ capture })}`,
          Accept: 'text/event-stream',
          ...session,
        },
        agent: false,
      });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      onCleanup(() => Promise.resolve(res.destroy()));
      return res;
    };
    // No session opens for a capture that is not live: its initialize gets the 409 too.
    expect((await open('c')).statusCode).toBe(409);
    expect((await open('run-1', await sessionOf(h.proxy, 'run-1'))).statusCode).toBe(200);
    expect(h.proxy.openStreams()).toBe(1);
  });

  it('forwards such a request untracked with untracked: serve, and appends nothing for it', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url }, untracked: 'serve' });
    const session = await sessionOf(h.proxy, 'c');
    const response = await callEcho(h.proxy, h.proxy.credential({ capture: 'c' }), session);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ result: { structuredContent: { echoed: 'hi' } } });
    expect(upstream.runs.get('echo')).toBe(1);
    expect(tracked(h.events())).toEqual([]);
  });
});

describe('proxy: a credential admits one capture (issue 14 §1: any agent could act under any capture)', () => {
  it('refuses a capture header that names another capture with 403, and forwards nothing', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    h.tracker.beginCapture('b');
    const credential = h.proxy.credential({ capture: 'run-1' });
    const session = await sessionOf(h.proxy, 'run-1');
    await settled(h);
    // What the session's initialize appended: the call's events come after these.
    const opening = tracked(h.events()).length;
    const spoofed = await callEcho(h.proxy, credential, { ...session, [CAPTURE_HEADER]: 'b' });
    expect(spoofed.status).toBe(403);
    expect(spoofed.json).toMatchObject({
      error: {
        code: -32000,
        message: expect.stringMatching(/admits capture "run-1" only/) as string,
      },
    });
    expect(upstream.runs.size).toBe(0);
    const agreeing = await callEcho(h.proxy, credential, { ...session, [CAPTURE_HEADER]: 'run-1' });
    expect(agreeing.status).toBe(200);
    await settled(h);
    expect(tracked(h.events()).map((event) => (event as { capture?: string }).capture)).toEqual(
      Array.from({ length: opening + 7 }, () => 'run-1'),
    );
  });

  it('tracks an SDK agent under the capture of its credential', async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    h.tracker.beginCapture('a');
    const agent = await h.connect({ capture: 'a' });
    await agent.callTool({ name: 'echo', arguments: { text: 'from a' } });
    await settled(h, 'a');
    const captures = new Set(
      tracked(h.events()).map((event) => (event as { capture?: string }).capture),
    );
    expect([...captures]).toEqual(['a']);
  });

  it("refuses forged, tampered and truncated credentials, a closed proxy's and a loopback server's, with 401", async () => {
    const upstream = await httpUpstream(['echo']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    h.tracker.beginCapture('b');
    const credential = h.proxy.credential({ capture: 'run-1' });
    const [version, role, , mac] = credential.split('.') as [string, string, string, string];
    const other = await startProxy({ upstream: { url: upstream.url } });
    const closed = other.proxy.credential({ capture: 'run-1' });
    await other.proxy.close();
    expect(() => other.proxy.credential({ capture: 'run-1' })).toThrow(
      expect.objectContaining({ code: 'proxy_closed' }) as Error,
    );
    const loopback = await createLoopbackServer({ tracker: createTracker(), tools: [] });
    onCleanup(() => loopback.close());
    const presented = [
      `${version}.${role}.${Buffer.from('b').toString('base64url')}.${mac}`,
      `${credential.slice(0, -2)}${credential.at(-2) === 'A' ? 'B' : 'A'}${credential.at(-1)}`,
      credential.slice(0, -1),
      `${credential}A`,
      closed,
      loopback.credential({ capture: 'run-1', owner: true }),
    ];
    for (const token of presented) {
      const response = await callEcho(h.proxy, token);
      expect(response.status, token).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="toolflight"');
    }
    expect(upstream.runs.size).toBe(0);
    expect(tracked(h.events())).toEqual([]);
  });
});

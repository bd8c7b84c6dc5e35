import { describe, expect, it } from 'vitest';

import { raw, toolsCall } from '../mcp/support.js';
import { createTracker } from '../../src/index.js';
import { createProxy, ProxyError, type Proxy } from '../../src/mcp/index.js';
import { httpUpstream, rawSession, startProxy } from './support.js';

const at = (proxy: Proxy) => ({ host: '127.0.0.1', port: proxy.port }) as never;
const headers = (credential: string) => ({
  Authorization: `Bearer ${credential}`,
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
});
const rpcError = (code: number) => ({ jsonrpc: '2.0', id: null, error: { code } });
const expectRpc = (response: { status: number; json: unknown }, status: number, code: number) => {
  expect(response.status).toBe(status);
  expect(response.json).toMatchObject(rpcError(code));
};

describe('proxy: auth and HTTP hardening', () => {
  it('answers 401 to a missing or wrong credential, and forwards nothing', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const missing = await raw(at(h.proxy), {
      headers: { 'Content-Type': 'application/json' },
      body: toolsCall('echo'),
    });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="toolflight"');
    const wrong = await raw(at(h.proxy), {
      headers: headers('x'.repeat(43)),
      body: toolsCall('echo'),
    });
    expect(wrong.status).toBe(401);
    await expect(h.connect({ credential: 'not-the-credential' })).rejects.toThrow();
    expect(upstream.runs.size).toBe(0);
    expect(upstream.authorizations).not.toContain(
      `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
    );
  });

  it('refuses the shared agent secret it once took (auth.secret), an empty capture and a bad untracked option', async () => {
    const upstream = await httpUpstream();
    const tracker = createTracker();
    const given = { tracker, upstream: { url: upstream.url }, auth: { secret: 'a'.repeat(32) } };
    await expect(createProxy(given as never)).rejects.toThrow(/proxy\.credential\(\{ capture \}\)/);
    await expect(createProxy({ tracker, upstream: {} as never })).rejects.toMatchObject({
      code: 'invalid_option',
    });
    await expect(
      createProxy({ tracker, upstream: { url: upstream.url }, untracked: 'allow' as never }),
    ).rejects.toMatchObject({ code: 'invalid_option', message: /untracked must be/ });
    const h = await startProxy({ upstream: { url: upstream.url } });
    expect(() => h.proxy.credential({ capture: ' ' })).toThrow(ProxyError);
    expect(() => h.proxy.credential({ capture: 'é'.repeat(129) })).toThrow(/over 256/);
  });

  it('answers malformed JSON-RPC with the loopback server codes', async () => {
    const upstream = await httpUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    // The credential's headers in a session of its own: every request below is made in it.
    const session = await rawSession(h.proxy as Proxy<unknown>);
    const post = (body: string, extra: Record<string, string> = {}) =>
      raw(at(h.proxy), { headers: { ...session, ...extra }, body });
    const notJson = await post('{nope');
    expectRpc(notJson, 400, -32700);
    const empty = await post('[]');
    expectRpc(empty, 400, -32600);
    const notRpc = await post('{"hello":1}');
    expectRpc(notRpc, 400, -32600);
    const badType = await post(toolsCall('echo'), { 'Content-Type': 'text/plain' });
    expect(badType.status).toBe(415);
    const badArgs = await post(toolsCall('echo', 'not an object'));
    expect(badArgs.status).toBe(200);
    expect(badArgs.json).toMatchObject({ id: 1, error: { code: -32602 } });
    const path = await raw(at(h.proxy), {
      path: '/other',
      headers: session,
      body: toolsCall('echo'),
    });
    expect(path.status).toBe(404);
    const origin = await post(toolsCall('echo'), { Origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    const host = await post(toolsCall('echo'), { Host: `evil.example:${h.proxy.port}` });
    expect(host.status).toBe(403);
    const large = await raw(at(h.proxy), {
      headers: session,
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(large.status).toBe(413);
    const notification = await post(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    );
    expect(notification.status).toBe(202);
  });
});

import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';

import { describe, expect, it } from 'vitest';

import { createTracker, ToolflightError } from '../../src/index.js';
import { createLoopbackServer, LoopbackError } from '../../src/mcp/index.js';
import {
  echoTool,
  raw,
  rpcHeaders,
  stalledPost,
  startHarness,
  textOf,
  toolsCall,
  until,
  VirtualClock,
} from './support.js';

const rpcError = (code: number) => ({ jsonrpc: '2.0', id: null, error: { code } });

describe('loopback server: HTTP hardening', () => {
  it('answers 404 for any path but /mcp', async () => {
    const h = await startHarness();
    const response = await raw(h.server, { path: '/other', body: toolsCall('echo') });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject(rpcError(-32000));
  });

  it('answers 405 with Allow for a method other than GET, POST and DELETE', async () => {
    const h = await startHarness();
    for (const method of ['PUT', 'PATCH', 'OPTIONS']) {
      const response = await raw(h.server, { method });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, POST, DELETE');
    }
  });

  it('answers 403 to a non-loopback browser Origin before checking the token', async () => {
    const h = await startHarness();
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example']) {
      const withoutToken = await raw(h.server, {
        headers: { 'Content-Type': 'application/json', Origin: origin },
        body: toolsCall('echo'),
      });
      expect(withoutToken.status).toBe(403);
    }
    const loopbackPage = await raw(h.server, {
      headers: rpcHeaders(h.server, { Origin: 'http://localhost:5173' }),
      body: toolsCall('echo'),
    });
    expect(loopbackPage.status).toBe(200);
  });

  it('answers 403 to a Host header that does not name the server (DNS rebinding)', async () => {
    const h = await startHarness();
    const rebound = await raw(h.server, {
      headers: rpcHeaders(h.server, { Host: `attacker.example:${h.server.port}` }),
      body: toolsCall('echo'),
    });
    expect(rebound.status).toBe(403);
    const byName = await raw(h.server, {
      headers: rpcHeaders(h.server, { Host: `localhost:${h.server.port}` }),
      body: toolsCall('echo'),
    });
    expect(byName.status).toBe(200);
  });

  it('answers 401 without a valid bearer token, and an unauthenticated request is not tracked', async () => {
    const h = await startHarness();
    const token = h.server.credential({ capture: 'run-1', owner: true });
    for (const authorization of [
      undefined,
      'Bearer',
      `Basic ${token}`,
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
    ]) {
      const headers = rpcHeaders(h.server);
      if (authorization === undefined) delete headers.Authorization;
      else headers.Authorization = authorization;
      const response = await raw(h.server, { headers, body: toolsCall('echo') });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(h.events().map((event) => event.type)).toEqual(['capture.begun']);
  });

  it('answers 415 to a body that is not JSON, as a tracked request that finishes with 415', async () => {
    const h = await startHarness();
    const response = await raw(h.server, {
      headers: rpcHeaders(h.server, { 'Content-Type': 'text/plain' }),
      body: toolsCall('echo'),
    });
    expect(response.status).toBe(415);
    await until(h.tracker, 'run-1', (snapshot) => snapshot?.inFlight === 0);
    expect(h.events().at(-1)).toMatchObject({ type: 'request.finished', data: { status: 415 } });
  });

  it('answers 413 to a declared body over 1 MiB and closes the connection after the response', async () => {
    const h = await startHarness();
    const { req, response } = stalledPost(h.server, rpcHeaders(h.server), 1024 * 1024 + 1, '{');
    const res = await response;
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    res.resume();
    await once(res.socket, 'close');
    req.destroy();
  });

  it('answers 413 as soon as a streamed body passes 1 MiB', async () => {
    const h = await startHarness();
    const req = httpRequest({
      host: h.server.host,
      port: h.server.port,
      method: 'POST',
      path: '/mcp',
      headers: rpcHeaders(h.server),
      agent: false,
    });
    req.on('error', () => undefined);
    const response = once(req, 'response') as Promise<[IncomingMessage]>;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // Chunked, no length declared: the server must count what arrives.
    for (let sent = 0; sent <= 1024 * 1024; sent += chunk.length) req.write(chunk);
    const [res] = await response;
    expect(res.statusCode).toBe(413);
    res.resume();
    await once(res.socket, 'close');
    req.destroy();
  });

  it('reads a chunked body that arrived whole, and refuses one over the limit as 413', async () => {
    const h = await startHarness({ limits: { maxBodyBytes: 200 } });
    const post = async (body: string) => {
      const req = httpRequest({
        host: h.server.host,
        port: h.server.port,
        method: 'POST',
        path: '/mcp',
        // Chunked, no length declared, sent in one write: the parser holds it all at once.
        headers: { ...rpcHeaders(h.server), 'Transfer-Encoding': 'chunked' },
        agent: false,
      });
      req.on('error', () => undefined);
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      req.end(body);
      const [res] = await response;
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return { status: res.statusCode, text: Buffer.concat(chunks).toString() };
    };
    const small = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    expect(small.status).toBe(200);
    expect(JSON.parse(small.text)).toMatchObject({ jsonrpc: '2.0', id: 1, result: {} });
    const large = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping', params: { pad: 'x'.repeat(300) } }),
    );
    expect(large.status).toBe(413);
    expect(large.text).toContain('at most 200 bytes');
  });

  it('answers 408 when the body stalls for bodyTimeoutMs on the server scheduler, not a tick before, and closes the connection', async () => {
    const clock = new VirtualClock();
    const h = await startHarness({ scheduler: clock, limits: { bodyTimeoutMs: 50 } });
    const { req, response } = stalledPost(h.server, rpcHeaders(h.server), 100, '{"jsonrpc":');
    // The server is waiting for the rest of the body once its deadline is set.
    await clock.armed();
    clock.advance(49);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    const res = await response;
    expect(res.statusCode).toBe(408);
    expect(await textOf(res)).toContain('did not arrive within 50 ms');
    expect(res.headers.connection).toBe('close');
    await once(res.socket, 'close');
    req.destroy();
    await until(h.tracker, 'run-1', (snapshot) => snapshot?.inFlight === 0);
    expect(h.events().at(-1)).toMatchObject({ type: 'request.finished', data: { status: 408 } });
  });

  it('reads a body whose last byte arrives just before the deadline, and cancels the deadline', async () => {
    const clock = new VirtualClock();
    const h = await startHarness({ scheduler: clock, limits: { bodyTimeoutMs: 50 } });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' });
    const { req, response } = stalledPost(
      h.server,
      rpcHeaders(h.server),
      Buffer.byteLength(body),
      body.slice(0, 10),
    );
    await clock.armed();
    clock.advance(49);
    req.end(body.slice(10));
    const res = await response;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(await textOf(res))).toMatchObject({ jsonrpc: '2.0', id: 3, result: {} });
    expect(clock.pending).toBe(0);
  });

  it('answers -32700 to invalid JSON', async () => {
    const h = await startHarness();
    const response = await raw(h.server, { body: '{"jsonrpc": "2.0", "id": 1,' });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject(rpcError(-32700));
  });

  it('answers -32600 to an empty batch, a non-object batch entry and a non-message object', async () => {
    const h = await startHarness();
    for (const body of ['[]', `[${toolsCall('echo')}, 1]`, '"tools/call"', '{"method":"x"}']) {
      const response = await raw(h.server, { body });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject(rpcError(-32600));
    }
  });

  it('answers -32601 to an unknown method', async () => {
    const h = await startHarness();
    const response = await raw(h.server, {
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/explode' }),
    });
    expect(response.json).toMatchObject({ id: 7, error: { code: -32601 } });
  });

  it('answers -32602 to tool arguments that are not an object, and starts no tool call', async () => {
    const h = await startHarness();
    for (const args of [['a'], 'text', 5]) {
      const response = await raw(h.server, { body: toolsCall('echo', args, 9) });
      expect(response.json).toMatchObject({ id: 9, error: { code: -32602 } });
    }
    expect(h.events().some((event) => event.type === 'toolCall.started')).toBe(false);
  });

  it('answers 202 to a POST of notifications only', async () => {
    const h = await startHarness();
    const response = await raw(h.server, {
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(response.status).toBe(202);
    expect(response.text).toBe('');
  });

  it('refuses to bind anything but loopback, with an error that says what to pass instead', async () => {
    const tracker = createTracker();
    for (const host of ['0.0.0.0', '192.168.1.10', 'example.com', '::']) {
      const start = createLoopbackServer({ tracker, tools: [echoTool], host });
      await expect(start).rejects.toBeInstanceOf(LoopbackError);
      await expect(start).rejects.toBeInstanceOf(ToolflightError);
      await expect(start).rejects.toMatchObject({ code: 'non_loopback_host' });
      await expect(start).rejects.toThrow(/pass host "127\.0\.0\.1"/);
    }
  });

  it('refuses tool definitions it cannot serve, naming the tool and the fix', async () => {
    const tracker = createTracker();
    const cases = [
      [echoTool, echoTool],
      [{ ...echoTool, name: 'has space' }],
      [{ ...echoTool, inputSchema: { type: 'array' } as never }],
      [{ ...echoTool, timeoutMs: -1 }],
    ];
    for (const tools of cases) {
      await expect(createLoopbackServer({ tracker, tools })).rejects.toMatchObject({
        code: 'invalid_tool',
      });
    }
  });
});

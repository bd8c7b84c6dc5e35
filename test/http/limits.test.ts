// Issue 14 §2: connections were unbounded. One client held 3,000 connections that sent nothing
// or half their headers (they lived until Node's 90 s header check), and any authenticated
// client could open SSE streams without end. The same caps and timeouts now hold for every
// toolflight HTTP server: the loopback MCP server, the proxy and the inspector, on real
// sockets. Node's socket timers cannot run on virtual time: timeouts are short here, and each
// test waits on a socket's close event, never a sleep.
import { once } from 'node:events';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

import { describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker, type Tracker } from '../../src/index.js';
import { createInspector, InspectorError } from '../../src/inspector/index.js';
import {
  CAPTURE_HEADER,
  createLoopbackServer,
  createProxy,
  LoopbackError,
  loopbackClientConfig,
  ProxyError,
  type Limits,
} from '../../src/mcp/index.js';
import { echoTool, onCleanup, stalledPost, toolsCall, until } from '../mcp/support.js';
import { httpUpstream, INITIALIZE_BODY } from '../proxy/support.js';
import { closedWith } from '../support/closedWith.js';

/** One server under test, as these tests drive it. */
interface Target {
  readonly port: number;
  readonly warnings: string[];
  /** A real request on a fresh connection; resolves with its status. */
  readonly call: () => Promise<number>;
  /**
   * Path and headers of a stream request as credential `n` (the inspector has only one); the
   * proxy's each open a session of their own first (one stream a session).
   */
  readonly stream: (n: number) => StreamRequest | Promise<StreamRequest>;
  readonly credentials: number;
  readonly openStreams: () => number;
  /** Headers of an authenticated JSON-RPC POST (MCP endpoints only). */
  readonly post?: Record<string, string>;
  readonly tracker?: Tracker;
  /** Make the server send something down every open stream. */
  readonly poke: () => void;
}

/** Path and headers of a stream request. */
interface StreamRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
}

type Start = (limits: Limits) => Promise<Target>;

/** Send one request on a new connection and read the whole response. */
function exchange(
  port: number,
  options: { method?: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, agent: false, method: options.method ?? 'GET', ...options },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const rpcPost = (credential: string, extra: Record<string, string> = {}) => ({
  Authorization: `Bearer ${credential}`,
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
  ...extra,
});

/**
 * The `Mcp-Session-Id` header of a new session of `credential` on the proxy at `port` (it is
 * stateful toward agents): an `initialize` on a connection of its own, closed once answered, so
 * that it holds no connection against the caps under test.
 */
async function sessionOf(port: number, credential: string): Promise<Record<string, string>> {
  const opened = await exchange(port, {
    method: 'POST',
    path: '/mcp',
    headers: rpcPost(credential),
    body: INITIALIZE_BODY,
  });
  const session = opened.headers['mcp-session-id'];
  if (typeof session !== 'string') {
    throw new Error(`initialize answered ${opened.status} without a session`);
  }
  return { 'Mcp-Session-Id': session };
}

const loopback: Start = async (limits) => {
  const warnings: string[] = [];
  const tracker = createTracker({ store: createMemoryStore() });
  const server = await createLoopbackServer({
    tracker,
    tools: [echoTool],
    limits,
    logger: { warn: (message) => warnings.push(message) },
  });
  onCleanup(() => server.close());
  const captures = ['run-1', 'run-2'];
  for (const capture of captures) tracker.beginCapture(capture);
  // Credentials as an agent gets them: the values of its environment.
  const headersOf = (capture: string): Record<string, string> => {
    const { env } = loopbackClientConfig(server, { capture, owner: false });
    const headers: Record<string, string> = { Authorization: `Bearer ${env.TOOLFLIGHT_MCP_TOKEN}` };
    if (env.TOOLFLIGHT_MCP_CAPTURE_KEY) headers[CAPTURE_HEADER] = env.TOOLFLIGHT_MCP_CAPTURE_KEY;
    return headers;
  };
  const post = { ...rpcPost(''), ...headersOf('run-1') };
  return {
    port: server.port,
    warnings,
    credentials: 2,
    tracker,
    post,
    call: async () =>
      (
        await exchange(server.port, {
          method: 'POST',
          path: '/mcp',
          headers: post,
          body: toolsCall('echo', { text: 'hi' }),
        })
      ).status,
    stream: (n) => ({
      path: '/mcp',
      headers: { ...headersOf(captures[n]!), Accept: 'text/event-stream' },
    }),
    openStreams: () => server.openStreams(),
    poke: () => server.setTools([echoTool, { ...echoTool, name: `echo-${Math.random()}` }]),
  };
};

const proxy: Start = async (limits) => {
  const warnings: string[] = [];
  const upstream = await httpUpstream(['echo']);
  const tracker = createTracker({ store: createMemoryStore() });
  const captures = ['run-1', 'run-2'];
  for (const capture of captures) tracker.beginCapture(capture);
  const running = await createProxy({
    tracker,
    upstream: { url: upstream.url },
    limits,
    logger: { warn: (message) => warnings.push(message) },
  });
  onCleanup(() => running.close());
  const credential = running.credential({ capture: 'run-1' });
  const post = rpcPost(credential, await sessionOf(running.port, credential));
  return {
    port: running.port,
    warnings,
    credentials: 2,
    tracker,
    post,
    call: async () =>
      (
        await exchange(running.port, {
          method: 'POST',
          path: '/mcp',
          headers: post,
          body: toolsCall('echo', { text: 'hi' }),
        })
      ).status,
    stream: async (n) => {
      const streaming = running.credential({ capture: captures[n]! });
      return {
        path: '/mcp',
        headers: {
          Authorization: `Bearer ${streaming}`,
          Accept: 'text/event-stream',
          ...(await sessionOf(running.port, streaming)),
        },
      };
    },
    openStreams: () => running.openStreams(),
    poke: () => undefined,
  };
};

const inspector: Start = async (limits) => {
  const warnings: string[] = [];
  const tracker = createTracker({ store: createMemoryStore() });
  tracker.beginCapture('run-1');
  const running = await createInspector(
    { tracker },
    { limits, logger: { warn: (message) => warnings.push(message) } },
  );
  onCleanup(() => running.close());
  const token = encodeURIComponent(running.token);
  return {
    port: running.port,
    warnings,
    credentials: 1,
    call: async () =>
      (
        await exchange(running.port, {
          path: `/?token=${token}`,
          headers: { Host: `127.0.0.1:${running.port}` },
        })
      ).status,
    stream: () => ({ path: `/events?token=${token}`, headers: {} }),
    openStreams: () => running.stats().streams,
    poke: () => tracker.note('context.changed', { poked: true }),
  };
};

/** A raw connection, once connected; destroyed after the test. */
async function socketTo(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  onCleanup(() => Promise.resolve(socket.destroy()));
  await once(socket, 'connect');
  return socket;
}

/** A stream request; resolves on its response (kept open when 200, read whole otherwise). */
async function openStream(
  port: number,
  stream: StreamRequest | Promise<StreamRequest>,
): Promise<{
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  req: ClientRequest;
  res: IncomingMessage;
}> {
  const req = request({ host: '127.0.0.1', port, agent: false, ...(await stream) });
  req.on('error', () => undefined);
  onCleanup(() => Promise.resolve(req.destroy()));
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  res.setEncoding('utf8');
  if (res.statusCode !== 200) {
    for await (const chunk of res) text += chunk as string;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, req, res };
}

/** Resolves once the server counts `n` open streams (checked after each turn of the loop). */
async function streamsOpen(target: Target, n: number): Promise<void> {
  for (let turn = 0; target.openStreams() !== n; turn++) {
    if (turn > 100_000) throw new Error(`expected ${n} open streams, have ${target.openStreams()}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.each([
  ['the loopback server', loopback],
  ['the proxy', proxy],
  ['the inspector', inspector],
] as const)('%s: connection caps and timeouts', (name, start) => {
  it('makes room at maxConnections: of N+1 silent connections the one silent longest is closed, and a real call still succeeds (regression: 3,000 silent connections made real calls fail)', async () => {
    const target = await start({ maxConnections: 4 });
    const silent: Socket[] = [];
    for (let i = 0; i < 5; i++) silent.push(await socketTo(target.port));
    expect(await closedWith(silent[0]!)).toBe('');
    expect(silent.slice(1).map((socket) => socket.closed)).toEqual([false, false, false, false]);
    expect(await target.call()).toBe(200);
    expect(target.warnings[0]).toBe(
      `${name} closed an idle connection to make room: 4 were open (limits.maxConnections); 1 closed so far`,
    );
  });

  it('answers 408 and closes a connection whose headers trickle in past headersTimeoutMs', async () => {
    const target = await start({ headersTimeoutMs: 150, idleTimeoutMs: 60_000 });
    const socket = await socketTo(target.port);
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nX-Slow: `);
    // A byte every 20 ms keeps the socket from ever being idle: only the header deadline cuts it.
    const trickle = setInterval(() => socket.write('a'), 20);
    onCleanup(() => Promise.resolve(clearInterval(trickle)));
    expect(await closedWith(socket)).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(await target.call()).toBe(200);
  });

  it('closes a connection that sends nothing once idleTimeoutMs passed, and keeps open streams', async () => {
    const target = await start({ idleTimeoutMs: 100 });
    const stream = await openStream(target.port, target.stream(0));
    expect(stream.status).toBe(200);
    // Closed by the idle timeout: proof that it has passed for the stream too.
    expect(await closedWith(await socketTo(target.port))).toBe('');
    let seen = '';
    stream.res.on('data', (chunk: string) => (seen += chunk));
    expect(stream.res.closed).toBe(false);
    expect(target.openStreams()).toBe(1);
    if (name !== 'the proxy') {
      const more = once(stream.res, 'data');
      target.poke();
      await more;
      expect(seen).not.toBe('');
    }
  });

  it('answers 503 with Retry-After past maxStreams (and past maxStreamsPerCredential), and a closed stream frees its slot', async () => {
    const perCredential = name === 'the inspector' ? {} : { maxStreamsPerCredential: 2 };
    const target = await start({ maxConnections: 16, maxStreams: 3, ...perCredential });
    const first = await openStream(target.port, target.stream(0));
    expect(first.status).toBe(200);
    expect((await openStream(target.port, target.stream(0))).status).toBe(200);
    if (target.credentials === 2) {
      const third = await openStream(target.port, target.stream(0));
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe('5');
      expect(JSON.parse(third.text)).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32000,
          message:
            'Service Unavailable: this credential already holds 2 open SSE streams, the most limits.maxStreamsPerCredential allows: close one before opening another (a client needs one per session)',
        },
      });
    }
    // Another credential (the inspector has one only) fills the server.
    const other = target.credentials === 2 ? 1 : 0;
    expect((await openStream(target.port, target.stream(other))).status).toBe(200);
    const full = await openStream(target.port, target.stream(other));
    expect(full.status).toBe(503);
    expect(full.headers['retry-after']).toBe('5');
    expect(full.text).toContain(
      `Service Unavailable: ${name} already serves 3 SSE streams, the most limits.maxStreams allows: retry after 5 s, once one has closed`,
    );
    expect(target.openStreams()).toBe(3);
    first.req.destroy();
    await streamsOpen(target, 2);
    expect((await openStream(target.port, target.stream(other))).status).toBe(200);
  });

  it('refuses limits that cannot hold with its own typed error, before it listens', async () => {
    const errors = {
      'the loopback server': LoopbackError,
      'the proxy': ProxyError,
      'the inspector': InspectorError,
    } as const;
    for (const limits of [
      { maxConnections: 0 },
      { maxStreams: 300 },
      { headersTimeoutMs: Number.NaN },
      { idleTimeoutMs: -5 },
    ]) {
      const starting = start(limits);
      await expect(starting).rejects.toBeInstanceOf(errors[name]);
      await expect(starting).rejects.toMatchObject({ code: 'invalid_option' });
      await expect(starting).rejects.toThrow(/^limits\.\w+ (must|\(\d+\) must)/);
    }
  });
});

describe.each([
  ['the loopback server', loopback, LoopbackError],
  ['the proxy', proxy, ProxyError],
] as const)('%s: body limits', (_name, start, TypedError) => {
  it('refuses body limits that are not positive numbers (bug: the proxy took a bodyTimeoutMs of 0)', async () => {
    for (const limits of [
      { maxBodyBytes: 0 },
      { bodyTimeoutMs: -1 },
      { bodyTimeoutMs: Number.NaN },
    ]) {
      const starting = start(limits);
      await expect(starting).rejects.toBeInstanceOf(TypedError);
      await expect(starting).rejects.toThrow(
        /^limits\.(maxBodyBytes|bodyTimeoutMs) must be a positive number/,
      );
    }
  });
});

describe.each([
  ['the loopback server', loopback],
  ['the proxy', proxy],
] as const)('%s: a cap where every connection serves a call', (name, start) => {
  it('closes a connection arriving at maxConnections at once, and the calls in progress complete', async () => {
    const target = await start({ maxConnections: 3 });
    const body = toolsCall('echo', { text: 'hi' });
    const stalled = [0, 1, 2].map(() =>
      stalledPost(
        { host: '127.0.0.1', port: target.port },
        target.post!,
        body.length,
        body.slice(0, 5),
      ),
    );
    // Each upload in progress is a request started in the tracker: all three are being served.
    await until(target.tracker!, 'run-1', (snapshot) => snapshot?.inFlight === 3);
    expect(await closedWith(await socketTo(target.port))).toBe('');
    expect(target.warnings[0]).toMatch(
      new RegExp(
        `^${name} refused a connection: 3 are open \\(limits\\.maxConnections\\), each serving a request; 1 refused so far`,
      ),
    );
    for (const { req } of stalled) req.end(body.slice(5));
    const statuses = await Promise.all(
      stalled.map(({ response }) => response.then((res) => res.statusCode)),
    );
    expect(statuses).toEqual([200, 200, 200]);
  });
});

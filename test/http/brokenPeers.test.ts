// What the generative tests (test/fuzz) found, pinned: peers that send a body nobody reads, bytes
// that are not HTTP after a request, request targets that are not paths. Each test here failed
// before its fix.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

import { describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createInspector } from '../../src/inspector/index.js';
import { createLoopbackServer, createProxy, type Proxy } from '../../src/mcp/index.js';
import { echoTool, onCleanup } from '../mcp/support.js';
import { httpUpstream, rawSession } from '../proxy/support.js';
import { closedWith } from '../support/closedWith.js';

/** A raw connection that sent `bytes`; destroyed after the test. */
async function sent(port: number, bytes: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  onCleanup(() => Promise.resolve(socket.destroy()));
  await once(socket, 'connect');
  socket.write(bytes);
  return socket;
}

/** Resolves once `holds()`; fails after 20,000 turns of the event loop (a few seconds). */
async function soon(what: string, holds: () => boolean): Promise<void> {
  for (let turn = 0; !holds(); turn++) {
    if (turn > 20_000) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The first data a socket receives. */
const firstData = (socket: Socket) =>
  (once(socket, 'data') as Promise<[Buffer]>).then(([chunk]) => chunk.toString('latin1'));

/** A GET of an event stream that carries a 64 KiB body (more than a socket reads unasked). */
const streamWithBody = (host: string, path: string, headers: string) => {
  const body = 'x'.repeat(64 * 1024);
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`;
};

describe('a stream whose GET carried a body', () => {
  it('frees its slot on the loopback server once its client goes away (regression, found by the fuzz tests: the unread body stopped the socket reading, so the stream stayed open for good)', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    const server = await createLoopbackServer({ tracker, tools: [echoTool] });
    onCleanup(() => server.close());
    const credential = server.credential({ capture: 'run-1', owner: true });
    const client = await sent(
      server.port,
      streamWithBody(
        `127.0.0.1:${server.port}`,
        '/mcp',
        `Authorization: Bearer ${credential}\r\nAccept: text/event-stream\r\n`,
      ),
    );
    expect(await firstData(client)).toMatch(/^HTTP\/1\.1 200 /);
    expect(server.openStreams()).toBe(1);
    client.destroy();
    await soon('the stream closed', () => server.openStreams() === 0);
  });

  it('frees its slot on the proxy once its client goes away', async () => {
    const upstream = await httpUpstream(['echo']);
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    const proxy = await createProxy({ tracker, upstream: { url: upstream.url } });
    onCleanup(() => proxy.close());
    // The stream of a session (the proxy is stateful): its id from an initialize.
    const { 'Mcp-Session-Id': session } = await rawSession(proxy as Proxy<unknown>);
    const client = await sent(
      proxy.port,
      streamWithBody(
        `127.0.0.1:${proxy.port}`,
        '/mcp',
        `Authorization: Bearer ${proxy.credential({ capture: 'run-1' })}\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${session}\r\n`,
      ),
    );
    expect(await firstData(client)).toMatch(/^HTTP\/1\.1 200 /);
    client.destroy();
    await soon('the stream closed', () => proxy.openStreams() === 0);
  });

  it('frees its slot on the inspector once its client goes away', async () => {
    const inspector = await createInspector({ tracker: createTracker() });
    onCleanup(() => inspector.close());
    const client = await sent(
      inspector.port,
      streamWithBody(`127.0.0.1:${inspector.port}`, `/events?token=${inspector.token}`, ''),
    );
    expect(await firstData(client)).toMatch(/^HTTP\/1\.1 200 /);
    client.destroy();
    await soon('the stream closed', () => inspector.stats().streams === 0);
  });
});

describe('bytes that are not HTTP after a request', () => {
  it('leave nothing in flight: the request is finished in the tracker (regression, found by the fuzz tests: its 400 was written to a socket Node had closed, and it stayed in flight for good)', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    const server = await createLoopbackServer({ tracker, tools: [echoTool] });
    onCleanup(() => server.close());
    const credential = server.credential({ capture: 'run-1', owner: true });
    // A POST without a length (so, no body), then bytes that do not start a request.
    const client = await sent(
      server.port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${credential}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\r\n$OG;J0y`,
    );
    expect(await closedWith(client)).toMatch(/^HTTP\/1\.1 400 /);
    await soon('nothing in flight', () => tracker.capture('run-1')?.inFlight === 0);
    const types = [...tracker.store.read()].map((event) => event.type);
    expect(types).toEqual(['capture.begun', 'request.started', 'request.finished']);
  });
});

describe('inspector: odd request targets', () => {
  it.each([
    [
      '//?token=TOKEN',
      404,
      'Not Found: the inspector serves /, /window, /matches, /history and /events',
    ],
    ['//evil.example/?token=TOKEN', 404, 'Not Found'],
    ['//', 401, 'Unauthorized'],
    ['*', 400, 'Bad Request: the request target must be a path, like /'],
    ['http://127.0.0.1/?token=TOKEN', 400, 'Bad Request: the request target must be a path'],
  ])(
    'answers %s with %i (regression, found by the fuzz tests: GET // was a 500)',
    async (target, status, message) => {
      const inspector = await createInspector({ tracker: createTracker() });
      onCleanup(() => inspector.close());
      const client = await sent(
        inspector.port,
        `GET ${target.replace('TOKEN', inspector.token)} HTTP/1.1\r\nHost: 127.0.0.1:${inspector.port}\r\nConnection: close\r\n\r\n`,
      );
      const answer = await closedWith(client);
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(answer).toContain(message);
    },
  );
});

// `/window` over a WebSocket, with the `ws` package's client over a real socket: the same answer
// as a GET, the inspector's checks on the upgrade, and bad requests that fail only themselves.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { encodeEvent } from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import { MAX_WINDOW_REQUEST_BYTES } from '../../src/inspector/windowSocket.js';
import { busyLog } from './busyLog.js';
import { get, WAIT } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'toolflight-window-socket-'));
const EVENTS = busyLog(400);
const file = join(dir, 'run.jsonl');
writeFileSync(file, EVENTS.map((event) => `${encodeEvent(event)}\n`).join(''));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opened: (Inspector | WebSocket)[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) {
    if (item instanceof WebSocket) item.terminate();
    else await item.close();
  }
});

async function inspect(limits?: { maxStreams?: number; maxBufferedBytes?: number }) {
  const inspector = await createInspector({ recording: file }, { windowEvents: 100, limits });
  opened.push(inspector);
  return inspector;
}

/** The socket URL of `/window` (or another path), with the inspector's token unless told. */
const socketUrl = (inspector: Inspector, path = '/window', token = inspector.token) =>
  `ws://127.0.0.1:${inspector.port}${path}?token=${encodeURIComponent(token)}`;

/** An open socket, or the status of the refused upgrade. */
function connect(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    opened.push(socket);
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.once('error', reject);
  });
}

async function open(inspector: Inspector): Promise<WebSocket> {
  const result = await connect(socketUrl(inspector));
  if (!('socket' in result)) throw new Error(`refused: ${result.status} ${result.body}`);
  return result.socket;
}

/** Send a request and read the one message that answers it. */
function ask(socket: WebSocket, query: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => resolve(data.toString('utf8')));
    socket.send(query);
  });
}

/** How the socket was closed. */
const closed = (socket: WebSocket): Promise<number> =>
  new Promise((resolve) => socket.once('close', (code) => resolve(code)));

describe('window socket', () => {
  it('answers each request with the body GET /window sends for it', async () => {
    const inspector = await inspect();
    const socket = await open(inspector);
    expect(inspector.stats().windowSockets).toBe(1);
    for (const query of ['', 'at=0', 'at=250', `seq=${EVENTS[300]!.seq}`, 'failure=next&from=0']) {
      const fetched = await get(`${inspector.url}&${query}`.replace('/?', '/window?'));
      expect(fetched.status).toBe(200);
      expect(await ask(socket, query)).toBe(fetched.body);
    }
  });

  it('answers a bad request with an error line, and serves the next one on the same socket', async () => {
    const inspector = await inspect();
    const socket = await open(inspector);
    for (const query of ['at=-1', 'at=1&seq=2', 'failure=sideways&from=1', 'from=3', 'at=1e3']) {
      const answer = await ask(socket, query);
      expect(answer.endsWith('}\n') && JSON.parse(answer)).toEqual({
        error: expect.stringMatching(/^Bad Request: /) as unknown,
      });
    }
    const header = JSON.parse((await ask(socket, 'at=100')).split('\n')[0]!) as { start: number };
    expect(header.start).toBe(50);
  });

  it('closes a socket that sends an oversized or a binary message, and only that one', async () => {
    const inspector = await inspect();
    const big = await open(inspector);
    const other = await open(inspector);
    const bigClosed = closed(big);
    big.send(`at=1&pad=${'x'.repeat(MAX_WINDOW_REQUEST_BYTES)}`);
    expect(await bigClosed).toBe(1009);
    const binary = await open(inspector);
    const binaryClosed = closed(binary);
    binary.send(Buffer.from('at=1'));
    expect(await binaryClosed).toBe(1003);
    expect(JSON.parse((await ask(other, 'at=5')).split('\n')[0]!)).toMatchObject({ start: 0 });
    expect((await get(`${inspector.url}`)).status).toBe(200);
  });

  it('refuses an upgrade without the token, from another origin, to another path, or past maxStreams', async () => {
    const inspector = await inspect({ maxStreams: 2 });
    const refused = async (url: string, headers?: Record<string, string>) =>
      (await connect(url, headers)) as { status: number; body: string };
    expect(
      await refused(socketUrl(inspector, '/window', 'wrong-token-wrong-token-1')),
    ).toMatchObject({ status: 401, body: expect.stringMatching(/^Unauthorized/) as unknown });
    expect(await refused(`ws://127.0.0.1:${inspector.port}/window`)).toMatchObject({ status: 401 });
    expect(await refused(socketUrl(inspector), { Origin: 'http://evil.example' })).toMatchObject({
      status: 403,
      body: expect.stringMatching(/other origins/) as unknown,
    });
    expect(await refused(socketUrl(inspector), { Host: 'evil.example' })).toMatchObject({
      status: 403,
    });
    expect(await refused(socketUrl(inspector, '/events'))).toMatchObject({
      status: 404,
      body: expect.stringMatching(/only \/window/) as unknown,
    });
    // Its own origin is welcome.
    await connect(socketUrl(inspector), { Origin: inspector.origin });
    await open(inspector);
    expect(await refused(socketUrl(inspector))).toMatchObject({
      status: 503,
      body: expect.stringMatching(/limits\.maxStreams/) as unknown,
    });
    expect(inspector.stats().windowSockets).toBe(2);
  });

  it('drops a socket whose reader stopped reading once maxBufferedBytes wait for it', async () => {
    const inspector = await inspect({ maxBufferedBytes: 65_536 });
    const socket = await open(inspector);
    // Once dropped, its sends fail: not this test's subject.
    socket.on('error', () => undefined);
    // The client stops reading, and keeps asking.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const asking = setInterval(() => socket.send('at=200', () => undefined), 1);
    try {
      await expect.poll(() => inspector.stats().windowSockets, WAIT).toBe(0);
    } finally {
      clearInterval(asking);
    }
    const again = await open(inspector);
    expect(await ask(again, 'at=5')).toMatch(/^\{"total":/);
  });

  it("keeps a page's socket at maxConnections and closes an idle connection instead (regression: the guard counted an upgraded socket idle, and closed it first to make room)", async () => {
    const inspector = await createInspector(
      { recording: file },
      { windowEvents: 100, limits: { maxConnections: 2 } },
    );
    opened.push(inspector);
    const socket = await open(inspector);
    // A connection that sends nothing, newer than the socket.
    const idle = connectTcp(inspector.port);
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
    await expect.poll(() => inspector.stats().connections.open, WAIT).toBe(2);
    // A third at the cap: the idle connection is closed for it, not the page's socket.
    expect((await get(inspector.url)).status).toBe(200);
    await idleClosed;
    expect(inspector.stats().connections.evicted).toBe(1);
    expect(JSON.parse((await ask(socket, 'at=5')).split('\n')[0]!)).toMatchObject({ start: 0 });
  });

  it('closes its sockets when the inspector closes', async () => {
    const inspector = await inspect();
    const socket = await open(inspector);
    const gone = closed(socket);
    await inspector.close();
    opened.splice(opened.indexOf(inspector), 1);
    expect(await gone).toBe(1006);
  });
});

import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import {
  closeLoopbackServer,
  ensureLoopbackServer,
  LoopbackError,
  type LoopbackServer,
} from '../../src/mcp/index.js';
import { runNode } from '../support/runNode.js';
import { bearer, echoTool, raw, rpcHeaders, toolsCall } from './support.js';

afterEach(() => closeLoopbackServer());

/** Open the SSE stream of `server` for capture `run-1`; resolves once its response headers arrived. */
async function openStream(server: LoopbackServer): Promise<IncomingMessage> {
  const req = httpRequest({
    host: server.host,
    port: server.port,
    method: 'GET',
    path: '/mcp',
    headers: { Authorization: bearer(server), Accept: 'text/event-stream' },
    agent: false,
  });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  return res;
}

describe('ensureLoopbackServer / closeLoopbackServer', () => {
  it('starts one server for 50 concurrent callers', async () => {
    const tracker = createTracker();
    const servers = await Promise.all(
      Array.from({ length: 50 }, () => ensureLoopbackServer({ tracker, tools: [echoTool] })),
    );
    expect(new Set(servers).size).toBe(1);
    expect(await ensureLoopbackServer({ tracker, tools: [] })).toBe(servers[0]);
  });

  it('rejects every waiter of a failed start with its error, and the next call tries again', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const tracker = createTracker();
      const attempts = await Promise.allSettled(
        Array.from({ length: 5 }, () => ensureLoopbackServer({ tracker, tools: [], port })),
      );
      const reasons = attempts.map((attempt) =>
        attempt.status === 'rejected' ? (attempt.reason as unknown) : undefined,
      );
      expect(new Set(reasons).size).toBe(1);
      expect(reasons[0]).toBeInstanceOf(LoopbackError);
      expect(reasons[0]).toMatchObject({ code: 'listen_failed' });
      expect((reasons[0] as Error).message).toMatch(/pass port 0/);
      const server = await ensureLoopbackServer({ tracker, tools: [] });
      expect(server.listening).toBe(true);
    } finally {
      blocker.close();
    }
  });

  it('ends SSE streams on close and forgets the credential key: the next server rejects its credentials', async () => {
    const tracker = createTracker();
    tracker.beginCapture('run-1');
    const first = await ensureLoopbackServer({ tracker, tools: [echoTool] });
    const stream = await openStream(first);
    expect(stream.statusCode).toBe(200);
    expect(first.openStreams()).toBe(1);
    const oldToken = first.credential({ capture: 'run-1', owner: true });
    stream.resume();
    const ended = once(stream, 'close');
    await closeLoopbackServer();
    await ended;
    expect(first.listening).toBe(false);
    expect(() => first.credential({ capture: 'run-1', owner: true })).toThrow(LoopbackError);

    const second = await ensureLoopbackServer({ tracker, tools: [echoTool] });
    expect(second).not.toBe(first);
    const stale = await raw(second, {
      headers: rpcHeaders(second, { Authorization: `Bearer ${oldToken}` }),
      body: toolsCall('echo'),
    });
    expect(stale.status).toBe(401);
  });

  it('makes an ensure that comes during a close wait for it, then start a new server', async () => {
    const tracker = createTracker();
    const first = await ensureLoopbackServer({ tracker, tools: [] });
    const closing = closeLoopbackServer();
    const next = ensureLoopbackServer({ tracker, tools: [] });
    await closing;
    const second = await next;
    expect(second).not.toBe(first);
    expect(second.listening).toBe(true);
  });

  it('closes a server that was still starting when close was called', async () => {
    const tracker = createTracker();
    const starting = ensureLoopbackServer({ tracker, tools: [] });
    await closeLoopbackServer();
    const server = await starting;
    // The caller still gets a live server: the one it got was closed, so ensure started another.
    expect(server.listening).toBe(true);
  });

  it('refuses to hand the shared server to a caller with another tracker', async () => {
    await ensureLoopbackServer({ tracker: createTracker(), tools: [] });
    await expect(
      ensureLoopbackServer({ tracker: createTracker(), tools: [] }),
    ).rejects.toMatchObject({ code: 'tracker_mismatch' });
  });

  it('is a no-op to close when nothing runs, and close is idempotent', async () => {
    await closeLoopbackServer();
    const server = await ensureLoopbackServer({ tracker: createTracker(), tools: [] });
    await Promise.all([server.close(), server.close(), closeLoopbackServer()]);
    expect(server.listening).toBe(false);
  });

  // Child processes compile TypeScript as they start: slow on a loaded machine, not stuck.
  it('starts nothing at import time: a process that imports toolflight/mcp exits on its own', async () => {
    const { code, stdout } = await runNode([
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const mcp = await import('./src/mcp/index.ts'); console.log(Object.keys(mcp).length);",
    ]);
    expect(code).toBe(0);
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  }, 30_000);
});

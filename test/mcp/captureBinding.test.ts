// Issue 14 §1: calls outside any capture ran untracked (waitForIdle said idle while the tool ran),
// and the capture key was not tied to the token (any agent could report into any capture). Each
// agent now holds a credential bound to one capture key and one role.
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import {
  CAPTURE_HEADER,
  createLoopbackServer,
  LoopbackError,
  type LoopbackServer,
  type LoopbackTool,
} from '../../src/mcp/index.js';
import {
  bearer,
  clientTransport,
  echoTool,
  gateTool,
  nextEvent,
  onCleanup,
  raw,
  rpcHeaders,
  startHarness,
  toolsCall,
  until,
} from './support.js';

/** A tool that counts its runs: the proof that a refused call never reached it. */
function countingTool(): LoopbackTool & { readonly runs: () => number } {
  let runs = 0;
  return {
    name: 'count',
    inputSchema: { type: 'object' },
    run: () => {
      runs += 1;
      return { content: [{ type: 'text', text: `run ${runs}` }] };
    },
    runs: () => runs,
  };
}

const adminTool: LoopbackTool = {
  name: 'admin_reset',
  ownerOnly: true,
  inputSchema: { type: 'object' },
  run: () => ({ content: [{ type: 'text', text: 'reset' }] }),
};

/** A tools/call of `count` with `authorization` (and `extra` headers). */
const callWith = (server: LoopbackServer, authorization: string, extra = {}) =>
  raw(server, {
    headers: rpcHeaders(server, { Authorization: authorization, ...extra }),
    body: toolsCall('count'),
  });

/** Open a GET stream with `authorization`; resolves with its response once headers arrived. */
async function openStream(server: LoopbackServer, authorization: string): Promise<IncomingMessage> {
  const req = httpRequest({
    host: server.host,
    port: server.port,
    method: 'GET',
    path: '/mcp',
    headers: { Authorization: authorization, Accept: 'text/event-stream' },
    agent: false,
  });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  onCleanup(() => Promise.resolve(res.destroy()));
  return res;
}

describe('loopback server: a call for no live capture (issue 14 §1: it ran untracked)', () => {
  it('refuses a call whose capture was never begun with 409 and says what to do; the tool never runs', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool] });
    const response = await callWith(h.server, bearer(h.server, 'c'));
    expect(response.status).toBe(409);
    expect(response.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32000,
        message: expect.stringMatching(
          /^Conflict: capture "c" is not live .*begin the capture \(tracker\.beginCapture\) before handing out its credential, or start the server with untracked: 'serve'/,
        ) as string,
      },
    });
    expect(tool.runs()).toBe(0);
    expect(h.events().map((event) => event.type)).toEqual(['capture.begun']);
  });

  it('is not fooled into idle: a tool that would run for a capture begun late never starts', async () => {
    const gate = gateTool();
    const tool = countingTool();
    const h = await startHarness({ tools: [gate, tool] });
    const early = await callWith(h.server, bearer(h.server, 'c'));
    expect(early.status).toBe(409);
    expect(tool.runs()).toBe(0);
    h.tracker.beginCapture('c');
    // Begun now: the same credential is admitted, and the capture is busy while the tool runs.
    const call = raw(h.server, {
      headers: rpcHeaders(h.server, { Authorization: bearer(h.server, 'c') }),
      body: toolsCall('gate'),
    });
    await gate.started();
    expect(h.tracker.capture('c')?.inFlight).toBe(2);
    let idle: boolean | undefined;
    const waiting = h.tracker
      .waitForIdle('c', { timeoutMs: 60_000, admissionGraceMs: 0 })
      .then((value) => (idle = value));
    await Promise.resolve();
    expect(idle).toBeUndefined();
    gate.release('done');
    expect((await call).status).toBe(200);
    expect(await waiting).toBe(true);
  });

  it('refuses a call after its capture was cleared, and a blank capture cannot get a credential', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool] });
    h.tracker.beginCapture('c');
    const credential = bearer(h.server, 'c');
    expect((await callWith(h.server, credential)).status).toBe(200);
    h.tracker.clearCapture('c');
    const cleared = await callWith(h.server, credential);
    expect(cleared.status).toBe(409);
    expect(tool.runs()).toBe(1);
    for (const capture of ['', '  ', undefined as unknown as string]) {
      expect(() => h.server.credential({ capture, owner: true })).toThrow(LoopbackError);
    }
    expect(() => h.server.credential({ capture: 'x'.repeat(257), owner: true })).toThrow(
      /over 256/,
    );
  });

  it('refuses a plain bearer token that names no capture (what the old tokens were) with 401', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool] });
    const unbound = Buffer.alloc(32, 7).toString('base64url');
    const response = await callWith(h.server, `Bearer ${unbound}`, { [CAPTURE_HEADER]: 'run-1' });
    expect(response.status).toBe(401);
    expect(tool.runs()).toBe(0);
  });

  it('makes the SDK client fail to connect with the 409 message, not hang or run anything', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool] });
    const client = new Client({ name: 'late-agent', version: '1.0.0' });
    await expect(client.connect(clientTransport(h.server, 'owner', 'not-begun'))).rejects.toThrow(
      /HTTP error.*capture \\"not-begun\\" is not live/,
    );
    expect(tool.runs()).toBe(0);
  });

  it('refuses a GET stream for a capture that is not live, and opens one for a live capture', async () => {
    const h = await startHarness();
    const refused = await openStream(h.server, bearer(h.server, 'c'));
    expect(refused.statusCode).toBe(409);
    const open = await openStream(h.server, bearer(h.server, 'run-1'));
    expect(open.statusCode).toBe(200);
    expect(h.server.openStreams()).toBe(1);
  });
});

describe('loopback server: untracked: serve', () => {
  it('serves a call for a capture that is not live and appends nothing', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool], untracked: 'serve' });
    const response = await callWith(h.server, bearer(h.server, 'c'));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ result: { content: [{ text: 'run 1' }] } });
    expect(tool.runs()).toBe(1);
    const stream = await openStream(h.server, bearer(h.server, 'c'));
    expect(stream.statusCode).toBe(200);
    expect(h.events().map((event) => event.type)).toEqual(['capture.begun']);
    // A live capture is still tracked on the same server.
    const tracked = nextEvent(h.tracker, (event) => event.type === 'toolCall.finished');
    expect((await callWith(h.server, bearer(h.server, 'run-1'))).status).toBe(200);
    await expect(tracked).resolves.toMatchObject({ capture: 'run-1' });
  });

  it('still needs a credential of this server, and refuses an unknown value for the option', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool], untracked: 'serve' });
    const other = await startHarness();
    expect((await callWith(h.server, bearer(other.server, 'c'))).status).toBe(401);
    expect(tool.runs()).toBe(0);
    await expect(
      createLoopbackServer({ tracker: createTracker(), tools: [], untracked: 'yes' as never }),
    ).rejects.toMatchObject({ code: 'invalid_option', message: /untracked must be/ });
  });
});

describe('loopback server: a credential admits one capture (issue 14 §1: any agent could report into any capture)', () => {
  it('refuses a capture header that names another capture with 403, and runs nothing', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool] });
    h.tracker.beginCapture('b');
    for (const spoofed of ['b', '', 'run-1 ', 'RUN-1', 'run-1, b']) {
      const response = await callWith(h.server, bearer(h.server, 'run-1'), {
        [CAPTURE_HEADER]: spoofed,
      });
      // `run-1 ` reaches the server as `run-1` (HTTP strips the spaces): it agrees.
      if (spoofed === 'run-1 ') {
        expect(response.status).toBe(200);
        continue;
      }
      expect(response.status, JSON.stringify(spoofed)).toBe(403);
      expect(response.json).toMatchObject({
        error: {
          code: -32000,
          message: expect.stringMatching(/admits capture "run-1" only/) as string,
        },
      });
    }
    expect(tool.runs()).toBe(1);
    expect(h.events().filter((event) => event.capture === 'b')).toHaveLength(1);
  });

  it('accepts a capture header that agrees, as older agent configs send it, UTF-8 included', async () => {
    const h = await startHarness({ tools: [countingTool()] });
    const key = 'équipe-1';
    h.tracker.beginCapture(key);
    const response = await raw(h.server, {
      headers: {
        ...rpcHeaders(h.server, { Authorization: bearer(h.server, key) }),
        // Header strings go out as latin1 (as fetch sends a ByteString): the key's UTF-8 bytes.
        [CAPTURE_HEADER]: Buffer.from(key, 'utf8').toString('latin1'),
      },
      // A Buffer: with a string body Node writes the headers in the body's encoding (UTF-8).
      body: Buffer.from(toolsCall('count')),
    });
    expect(response.status).toBe(200);
    expect(h.events().filter((event) => event.type === 'toolCall.finished')).toMatchObject([
      { capture: key },
    ]);
  });

  it('tracks every call of an agent under its own capture, whatever the other live captures', async () => {
    const h = await startHarness();
    h.tracker.beginCapture('a');
    h.tracker.beginCapture('b');
    const agentA = await h.connect({ capture: 'a' });
    await agentA.callTool({ name: 'echo', arguments: { text: 'from a' } });
    await until(h.tracker, 'a', (snapshot) => snapshot?.inFlight === 0);
    const calls = h.events().filter((event) => event.type === 'toolCall.started');
    expect(calls).toMatchObject([{ capture: 'a' }]);
    expect(h.timeline('b')).toEqual([]);
  });

  it('keeps owner-only tools for owner credentials: a non-owner credential of the same capture is blocked', async () => {
    const h = await startHarness({ tools: [echoTool, adminTool] });
    const nonOwner = await raw(h.server, {
      headers: rpcHeaders(h.server, { Authorization: bearer(h.server, 'run-1', 'non-owner') }),
      body: toolsCall('admin_reset'),
    });
    expect(nonOwner.json).toMatchObject({ result: { isError: true } });
    const owner = await raw(h.server, { body: toolsCall('admin_reset') });
    expect(owner.json).toMatchObject({ result: { content: [{ text: 'reset' }] } });
  });

  it('refuses forged, tampered and truncated credentials with 401 and WWW-Authenticate, before any tracking', async () => {
    const tool = countingTool();
    const h = await startHarness({ tools: [tool, adminTool] });
    h.tracker.beginCapture('b');
    const nonOwner = h.server.credential({ capture: 'run-1', owner: false });
    const [version, , capture, mac] = nonOwner.split('.') as [string, string, string, string];
    const flipped = `${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.at(-1)}`;
    const presented = [
      `${version}.owner.${capture}.${mac}`,
      `${version}.non-owner.${Buffer.from('b').toString('base64url')}.${mac}`,
      `${version}.non-owner.${capture}.${flipped}`,
      nonOwner.slice(0, -1),
      nonOwner.slice(0, nonOwner.lastIndexOf('.')),
      `${nonOwner}x`,
    ];
    for (const credential of presented) {
      const response = await callWith(h.server, `Bearer ${credential}`);
      expect(response.status, credential).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="toolflight"');
    }
    expect(tool.runs()).toBe(0);
    expect(h.events().map((event) => event.type)).toEqual(['capture.begun', 'capture.begun']);
  });

  it('refuses the credentials of a closed server, and of another server, with 401', async () => {
    const tracker = createTracker();
    tracker.beginCapture('run-1');
    const tool = countingTool();
    const first = await createLoopbackServer({ tracker, tools: [tool] });
    const credential = first.credential({ capture: 'run-1', owner: true });
    await first.close();
    expect(() => first.credential({ capture: 'run-1', owner: true })).toThrow(
      expect.objectContaining({ code: 'server_closed' }) as Error,
    );
    const second = await createLoopbackServer({ tracker, tools: [tool] });
    onCleanup(() => second.close());
    expect((await callWith(second, `Bearer ${credential}`)).status).toBe(401);
    expect((await callWith(second, bearer(second))).status).toBe(200);
    expect(tool.runs()).toBe(1);
  });

  it("does not let another capture's credential cancel a call with the same request id", async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate] });
    h.tracker.beginCapture('b');
    const call = raw(h.server, { body: toolsCall('gate', {}, 7) });
    await gate.started();
    const cancel = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7, reason: 'not yours' },
    });
    const other = await raw(h.server, {
      headers: rpcHeaders(h.server, { Authorization: bearer(h.server, 'b') }),
      body: cancel,
    });
    expect(other.status).toBe(202);
    gate.release('done');
    expect((await call).json).toMatchObject({ result: { content: [{ text: 'done' }] } });
  });
});

/**
 * A tool that waits for `release`, then yields `gen N` (its call's generation) and answers
 * whether the message was delivered.
 */
function reportTool(): LoopbackTool & { readonly release: () => void } {
  let release: (() => void) | undefined;
  return {
    name: 'report',
    inputSchema: { type: 'object' },
    run: async (_args, context) => {
      await new Promise<void>((resolve) => (release = resolve));
      const delivered = await context.yieldMessage(`gen ${context.call?.gen}`);
      return { content: [{ type: 'text', text: String(delivered) }] };
    },
    release: () => release?.(),
  };
}

describe('loopback server: a credential across generations of its capture', () => {
  it('admits the current generation: a call in flight keeps its generation and yields to it, new calls join the new one', async () => {
    const yields: string[] = [];
    const report = reportTool();
    const h = await startHarness({ tools: [report, echoTool] });
    const first = h.tracker.beginCapture('c', { onYield: (message) => void yields.push(message) })!;
    const headers = rpcHeaders(h.server, { Authorization: bearer(h.server, 'c') });
    const started = nextEvent(h.tracker, (event) => event.type === 'toolCall.prepared');
    const inFlight = raw(h.server, { headers, body: toolsCall('report') });
    await started;
    const second = h.tracker.beginCapture('c', {
      onYield: (message) => void yields.push(`new: ${message}`),
    })!;
    const fresh = await raw(h.server, { headers, body: toolsCall('echo', { text: 'new' }) });
    expect(fresh.status).toBe(200);
    report.release();
    expect((await inFlight).json).toMatchObject({ result: { content: [{ text: 'true' }] } });
    expect(yields).toEqual([`gen ${first}`]);
    const finished = h.events().filter((event) => event.type === 'toolCall.finished');
    expect(finished.map((event) => event.gen).sort((x, y) => x - y)).toEqual([first, second]);
  });

  it('after a clear, refuses new calls while a call in flight ends: its yield resolves false', async () => {
    const report = reportTool();
    const h = await startHarness({ tools: [report, echoTool] });
    h.tracker.beginCapture('c');
    const headers = rpcHeaders(h.server, { Authorization: bearer(h.server, 'c') });
    const started = nextEvent(h.tracker, (event) => event.type === 'toolCall.prepared');
    const inFlight = raw(h.server, { headers, body: toolsCall('report') });
    await started;
    h.tracker.clearCapture('c');
    expect((await raw(h.server, { headers, body: toolsCall('echo') })).status).toBe(409);
    report.release();
    expect((await inFlight).json).toMatchObject({ result: { content: [{ text: 'false' }] } });
  });
});

import { once } from 'node:events';
import { request as httpRequest } from 'node:http';

import { describe, expect, it } from 'vitest';

import {
  nextEvent,
  raw,
  resultOf,
  rpcHeaders,
  settled,
  startHarness,
  toolsCall,
} from './support.js';

const idleNow = { timeoutMs: 60_000, admissionGraceMs: 0 };

/**
 * POST `body` with only its first `sent` bytes written: `started` resolves with the
 * `request.started` event; `finish` writes the rest and resolves once the response arrived.
 */
function startUpload(h: Awaited<ReturnType<typeof startHarness>>, body: string, sent: number) {
  const started = nextEvent(h.tracker, (event) => event.type === 'request.started');
  const req = httpRequest({
    host: h.server.host,
    port: h.server.port,
    method: 'POST',
    path: '/mcp',
    headers: { ...rpcHeaders(h.server), 'Content-Length': String(Buffer.byteLength(body)) },
    agent: false,
  });
  const responded = once(req, 'response');
  req.write(body.slice(0, sent));
  return {
    started,
    finish: async () => {
      req.end(body.slice(sent));
      const [res] = (await responded) as [NodeJS.ReadableStream];
      res.resume();
    },
  };
}

describe('loopback server: requests', () => {
  it('starts a request when its headers are authenticated, classifies it by method and finishes it once the response is written', async () => {
    const h = await startHarness();
    const client = await h.connect();
    await settled(h);
    const from = h.events().length;
    await client.listTools();
    await settled(h);
    const added = h.events().slice(from);
    expect(added.map((event) => event.type)).toEqual([
      'request.started',
      'request.classified',
      'request.finished',
    ]);
    expect(added[1]?.data).toMatchObject({ method: 'tools/list' });
    expect(added[2]?.data).toEqual({ status: 200 });
  });

  it('keeps the capture busy while a body is still uploading, until it arrives and its call finishes', async () => {
    const h = await startHarness();
    const upload = startUpload(h, toolsCall('echo', { text: 'slow upload' }), 12);
    await upload.started;

    const uploading = h.tracker.capture('run-1');
    expect(uploading?.inFlight).toBe(1);
    expect(uploading?.requests).toMatchObject([{ state: 'started' }]);
    let idle: boolean | undefined;
    const idleWait = h.tracker.waitForIdle('run-1', idleNow).then((value) => (idle = value));
    expect(idle).toBeUndefined();

    await upload.finish();
    expect(await idleWait).toBe(true);
    expect(h.timeline('run-1')).toEqual([
      'request.started rq_1',
      'request.classified rq_1',
      'toolCall.started tc_1',
      'toolCall.prepared tc_1',
      'toolCall.result tc_1',
      'toolCall.finished tc_1',
      'request.finished rq_1',
      'idle.waited',
    ]);
  });

  it('binds a request to the capture generation current when it was admitted', async () => {
    const h = await startHarness();
    const upload = startUpload(h, toolsCall('echo', { text: 'old generation' }), 5);
    const admitted = await upload.started;
    const second = h.tracker.beginCapture('run-1');
    const finished = nextEvent(h.tracker, (event) => event.type === 'request.finished');
    await upload.finish();
    await finished;

    const call = h.events().filter((event) => event.type.startsWith('toolCall.'));
    expect(call).toHaveLength(4);
    expect(call.every((event) => event.gen === admitted.gen)).toBe(true);
    expect(h.tracker.capture('run-1')).toMatchObject({ gen: second, inFlight: 0 });
  });

  it('tracks each tools/call of a batch inside one request', async () => {
    const h = await startHarness();
    const batch = `[${toolsCall('echo', { text: 'a' }, 1)},${toolsCall('echo', { text: 'b' }, 2)}]`;
    const response = await raw(h.server, { body: batch });
    expect(response.status).toBe(200);
    expect(response.json).toHaveLength(2);
    await settled(h);
    const events = h.events();
    expect(events.find((event) => event.type === 'request.classified')?.data).toMatchObject({
      method: 'tools/call,tools/call',
    });
    const finished = events.filter((event) => event.type === 'toolCall.finished');
    expect(finished).toHaveLength(2);
    const started = events.filter((event) => event.type === 'toolCall.started');
    expect(started.map((event) => event.data)).toEqual([
      { request: 'rq_1', toolName: 'echo', args: { text: 'a' } },
      { request: 'rq_1', toolName: 'echo', args: { text: 'b' } },
    ]);
  });

  it('tracks POST responses streamed as SSE (responseMode sse) the same way', async () => {
    const h = await startHarness({ responseMode: 'sse' });
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: { text: 'streamed' } });
    expect(result.content).toEqual([{ type: 'text', text: '{"text":"streamed"}' }]);
    await settled(h);
    expect(resultOf(h.events(), 'echo').outcome).toBe('completed');
    const finished = h.events().filter((event) => event.type === 'request.finished');
    expect(finished.every((event) => event.data.status !== undefined)).toBe(true);
  });

  it('leaves every inFlight at 0 after 200 concurrent calls across 10 captures', async () => {
    const h = await startHarness();
    const captures = Array.from({ length: 10 }, (_, i) => `agent-${i}`);
    for (const capture of captures) h.tracker.beginCapture(capture);
    const clients = await Promise.all(captures.map((capture) => h.connect({ capture })));
    const results = await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: 20 }, (_, i) =>
          client.callTool({ name: 'echo', arguments: { text: `${c}/${i}` } }),
        ),
      ),
    );
    expect(results.filter((result) => result.isError === true)).toEqual([]);
    for (const capture of captures) {
      const snapshot = await settled(h, capture);
      // initialize + initialized + 20 tools/call requests, 20 calls; each starts and finishes.
      expect(snapshot).toMatchObject({ inFlight: 0, activityVersion: 2 * (22 + 20) });
    }
    const outcomes = h.events().filter((event) => event.type === 'toolCall.result');
    expect(outcomes).toHaveLength(200);
    expect(outcomes.every((event) => event.data.outcome === 'completed')).toBe(true);
  }, 30_000);
});

// Issue 13: a tools/call whose arguments nest deeper than `JSON.stringify` can go made the
// transport's send throw a plain RangeError, which the session took for a lost connection: the
// session dropped and every other agent's call in flight failed with -32002. Such a request
// fails alone now, with -32602, and nothing else notices.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { raw, toolsCall } from '../mcp/support.js';
import {
  httpUpstream,
  rawSession,
  startProxy,
  stdioUpstream,
  upstreamIs,
  type ProxyHarness,
} from './support.js';

/** Arguments nested `depth` levels deep, as JSON text (`JSON.parse` takes it, `stringify` not). */
const deepArgs = (depth: number): string => `{"deep":${'['.repeat(depth)}0${']'.repeat(depth)}}`;

/** A raw `tools/call` of `echo` with arguments too deep to serialize again, from `capture`. */
async function deepCall(h: ProxyHarness<undefined>, id: number, capture = 'run-1') {
  const body = toolsCall('echo', {}, id).replace(
    '"arguments":{}',
    `"arguments":${deepArgs(20_000)}`,
  );
  return raw({ host: '127.0.0.1', port: h.proxy.port } as never, {
    headers: await rawSession(h.proxy as never, capture),
    body,
  });
}

describe('proxy: a request that cannot be serialized fails alone', () => {
  it('answers -32602 to the deep call while another agent’s calls in flight and after all succeed, and the upstream never goes down', async () => {
    const upstream = await httpUpstream(['echo', 'gate']);
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: new VirtualTimeScheduler(),
    });
    h.tracker.beginCapture('run-2');
    const other = await h.connect({ capture: 'run-2' });
    await other.callTool({ name: 'echo', arguments: { text: 'warm' } });

    // The other agent has a call in flight while the deep calls go out.
    const started = upstream.gateStarted();
    const settled = (call: Promise<unknown>) => call.catch((error: unknown) => error);
    const gate = settled(other.callTool({ name: 'gate', arguments: {} }));
    await started;
    const echoes = Array.from({ length: 20 }, (_, n) =>
      settled(other.callTool({ name: 'echo', arguments: { text: `call ${n}` } })),
    );
    const deep = await Promise.all([1, 2, 3].map((id) => deepCall(h, id)));
    upstream.releaseGate();
    await expect(gate).resolves.toMatchObject({ content: [{ type: 'text', text: 'released' }] });
    const results = (await Promise.all(echoes)) as { structuredContent?: unknown }[];
    expect(results.map((result) => result.structuredContent)).toEqual(
      Array.from({ length: 20 }, (_, n) => ({ echoed: `call ${n}` })),
    );
    for (const [index, response] of deep.entries()) {
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({
        id: index + 1,
        error: {
          code: -32602,
          message: expect.stringMatching(/could not be serialized/) as unknown,
        },
      });
    }

    expect(h.notices.filter(upstreamIs('down'))).toEqual([]);
    expect(h.notices.filter(upstreamIs('up'))).toHaveLength(1);
    expect(h.proxy.upstreamState()).toBe('up');
    // Each deep call is tracked as a failed call with the reason; the upstream never ran one.
    const failed = h
      .events()
      .flatMap((event) =>
        event.type === 'toolCall.result' && event.data.outcome === 'failed'
          ? [event.data.reason]
          : [],
      );
    expect(failed).toHaveLength(3);
    for (const reason of failed) expect(reason).toMatch(/could not be serialized/);
    expect(upstream.runs.get('echo')).toBe(21);
  });

  it(
    'fails only the deep call over stdio too: the child keeps serving',
    { timeout: 30_000 },
    async () => {
      const h = await startProxy({
        upstream: stdioUpstream(),
        scheduler: new VirtualTimeScheduler(),
      });
      const agent = await h.connect();
      await agent.callTool({ name: 'echo', arguments: { text: 'warm' } });
      const response = await deepCall(h, 9);
      expect(response.json).toMatchObject({ id: 9, error: { code: -32602 } });
      const counted = await agent.callTool({ name: 'count', arguments: {} });
      // The same child: it counts the warm-up echo.
      expect(counted.content).toEqual([{ type: 'text', text: '{"echo":1,"count":1}' }]);
      expect(h.notices.filter((n) => upstreamIs('down')(n) || upstreamIs('exited')(n))).toEqual([]);
    },
  );
});

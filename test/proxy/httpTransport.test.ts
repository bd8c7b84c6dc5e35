import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { MAX_ANSWER_BYTES } from '../../src/mcp/proxy/upstream/httpTransport.js';
import { advance } from '../../src/testing/advance.js';
import {
  startScriptedUpstream,
  type ScriptedUpstream,
} from '../fixtures/proxy/scriptedUpstream.js';
import { nextNotice, onCleanup, startProxy, upstreamIs } from './support.js';

async function scripted(options?: { streams?: boolean }): Promise<ScriptedUpstream> {
  const upstream = await startScriptedUpstream(options);
  onCleanup(() => upstream.stop());
  return upstream;
}

/** A proxy in front of the scripted upstream, up, with an agent connected. */
async function through(upstream: ScriptedUpstream) {
  const h = await startProxy({
    upstream: { url: upstream.url },
    scheduler: new VirtualTimeScheduler(),
  });
  const agent = await h.connect();
  return { h, agent };
}

const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('proxy HTTP transport: answers in every Streamable HTTP form', () => {
  it('delivers an answer the upstream streams as SSE to a POST, split across writes', async () => {
    const upstream = await scripted({ streams: false });
    const { agent } = await through(upstream);
    const result = await agent.callTool({ name: 'sse', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'streamed' }]);
  });

  it('delivers the response out of a batch JSON answer', async () => {
    const upstream = await scripted({ streams: false });
    const { agent } = await through(upstream);
    const result = await agent.callTool({ name: 'batch', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'batched' }]);
  });

  it('takes the session id from the initialize answer and DELETEs the session on close', async () => {
    const upstream = await scripted();
    const { h, agent } = await through(upstream);
    await agent.callTool({ name: 'echo', arguments: { text: 'hi' } });
    await h.proxy.close();
    // The proxy's own session (session-1) and the agent's own (session-2), each ended.
    expect(upstream.seen).toContain('GET');
    expect(upstream.seen.filter((seen) => seen.startsWith('DELETE')).sort()).toEqual([
      'DELETE session-1',
      'DELETE session-2',
    ]);
  });

  it('does not open a session stream again when the upstream answers its GET with 405', async () => {
    const upstream = await scripted({ streams: false });
    const { h, agent } = await through(upstream);
    await agent.callTool({ name: 'echo', arguments: { text: 'hi' } });
    // Once per upstream session (the proxy's own and the agent's), never again.
    const gets = () => upstream.seen.filter((seen) => seen === 'GET').length;
    await expect.poll(gets).toBe(2);
    await agent.callTool({ name: 'echo', arguments: { text: 'again' } });
    expect(gets()).toBe(2);
    expect(h.proxy.upstreamState()).toBe('up');
  });
});

describe('proxy HTTP transport: the session stream', () => {
  it('goes down when the session stream drops, and comes back on a new session', async () => {
    const upstream = await scripted();
    const opened = upstream.streamOpened();
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({ upstream: { url: upstream.url }, scheduler: clock });
    const agent = await h.connect();
    await opened;
    const down = nextNotice(h.proxy, upstreamIs('down'));
    upstream.dropStreams();
    await expect(down).resolves.toMatchObject({
      data: { reason: expect.stringMatching(/session stream dropped/) as unknown },
    });
    const up = nextNotice(h.proxy, upstreamIs('up'));
    // The first retry comes within the default baseMs (250); no further, or the new attempt's
    // connect deadline would pass too.
    advance(clock, 250);
    await up;
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'back' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'back' }]);
    expect(upstream.seen).toContain('DELETE session-1');
  });

  it('starts a new session at once when the upstream ends a session stream that served', async () => {
    const upstream = await scripted();
    const opened = upstream.streamOpened();
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: new VirtualTimeScheduler(),
    });
    await opened;
    // A request of this session sent once the stream was open, and answered, proves it was up
    // (one that ends at once is retried on the backoff instead: endedStream.test.ts). The first
    // answer comes after the stream's own response reached the proxy, so the second is sent
    // with the stream open whatever the timing.
    await h.proxy.refreshTools();
    await h.proxy.refreshTools();
    const reopened = upstream.streamOpened();
    const up = nextNotice(h.proxy, upstreamIs('up'));
    upstream.endStreams();
    await up;
    await reopened;
    expect(h.notices.filter(upstreamIs('down'))).toEqual([]);
    expect(upstream.seen.filter((seen) => seen === 'POST initialize')).toHaveLength(2);
  });
});

describe('proxy HTTP transport: refusals reach the agent verbatim', () => {
  it('passes a 4xx JSON-RPC error body through as the error', async () => {
    const upstream = await scripted({ streams: false });
    const { agent } = await through(upstream);
    const failure = await failureOf(agent.callTool({ name: 'refuse_rpc', arguments: {} }));
    expect(failure).toBeInstanceOf(McpError);
    expect(failure).toMatchObject({ code: -32602, data: { field: 'text' } });
    expect((failure as McpError).message).toContain('the upstream wants "text"');
  });

  it('passes a 4xx text body through with its status', async () => {
    const upstream = await scripted({ streams: false });
    const { h, agent } = await through(upstream);
    const failure = await failureOf(agent.callTool({ name: 'refuse_text', arguments: {} }));
    expect(failure).toMatchObject({ code: -32000, data: { status: 422 } });
    expect((failure as McpError).message).toContain('HTTP 422 quota exceeded: retry in 5 min');
    expect(h.proxy.upstreamState()).toBe('up');
  });
});

describe('proxy HTTP transport: a hostile upstream', () => {
  const cases: [tool: string, reason: RegExp][] = [
    ['not_json', /answer is not JSON: <html>oops/],
    ['huge', new RegExp(`larger than ${MAX_ANSWER_BYTES} bytes`)],
    ['truncated', /ended its answer without the response/],
    ['wrong_type', /content-type "text\/html"/],
    ['not_rpc', /ended its answer without the response/],
  ];
  for (const [tool, reason] of cases) {
    it(`answers ${tool} with -32002 (outcome unknown) and keeps serving`, async () => {
      const upstream = await scripted({ streams: false });
      const { h, agent } = await through(upstream);
      const failure = await failureOf(agent.callTool({ name: tool, arguments: {} }));
      expect(failure).toMatchObject({ code: -32002, data: { outcome: 'unknown' } });
      expect((failure as McpError).message).toMatch(reason);
      const outcomes = h
        .events()
        .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.outcome] : []));
      expect(outcomes).toEqual(['unknown']);
      // A malformed answer fails its call only: the session stays up.
      expect(h.proxy.upstreamState()).toBe('up');
      const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'still here' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'still here' }]);
    });
  }
});

describe('proxy HTTP transport: an answer that breaks the connection', () => {
  it('fails the call with outcome unknown, then reconnects and serves', async () => {
    const upstream = await scripted({ streams: false });
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({ upstream: { url: upstream.url }, scheduler: clock });
    const agent = await h.connect();
    // A malformed chunk right behind the headers: the socket is torn down mid-answer, which
    // the proxy cannot tell from a crash, so it treats the connection as lost.
    const down = nextNotice(h.proxy, upstreamIs('down'));
    const failure = await failureOf(agent.callTool({ name: 'bad_chunk', arguments: {} }));
    expect(failure).toMatchObject({ code: -32002, data: { outcome: 'unknown' } });
    await down;
    const up = nextNotice(h.proxy, upstreamIs('up'));
    // The first retry comes within the default baseMs (250); no further, or the new attempt's
    // connect deadline would pass too.
    advance(clock, 250);
    await up;
    const echoed = await agent.callTool({ name: 'echo', arguments: { text: 'back' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'back' }]);
  });
});

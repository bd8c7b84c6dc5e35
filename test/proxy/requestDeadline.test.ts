// Every request the proxy forwards has a deadline on its scheduler, as the SDK client's own:
// `requestTimeoutMs` without news, each progress notification opening the window again, never
// past `maxRequestTotalMs`; connecting has `connectTimeoutMs`. Time here is virtual: the clock
// moves only once the request has demonstrably reached the upstream.
import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createProxy } from '../../src/mcp/index.js';
import { startHeldUpstream, type HeldUpstream } from '../fixtures/proxy/heldUpstream.js';
import { advance } from '../../src/testing/advance.js';
import { nextEvent, resultOf, settled, VirtualClock } from '../mcp/support.js';
import { nextNotice, onCleanup, startProxy, upstreamIs } from './support.js';

/** Far past any deadline under test: the agent's own SDK timeout must not be what fires. */
const AGENT_PATIENCE = { timeout: 60 * 60_000 };

async function held(options?: { hold?: readonly string[] }): Promise<HeldUpstream> {
  const upstream = await startHeldUpstream(options);
  onCleanup(() => upstream.stop());
  return upstream;
}

/**
 * A proxy with `requestTimeoutMs` 1,000 on a virtual clock in front of a held upstream, and an
 * SDK agent connected through it.
 */
async function heldProxy(extra: { maxRequestTotalMs?: number } = {}) {
  const upstream = await held();
  const clock = new VirtualClock();
  const h = await startProxy({
    upstream: { url: upstream.url },
    scheduler: clock,
    requestTimeoutMs: 1000,
    ...extra,
  });
  const agent = await h.connect();
  return { upstream, clock, h, agent };
}

const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const toolResults = (h: { events: () => { type: string }[] }) =>
  h.events().filter((event) => event.type === 'toolCall.result');

describe('proxy: request deadlines', () => {
  it("a hung upstream held the agent's call and the capture's inFlight forever: it times out with -32001, cancels upstream, and records timed_out", async () => {
    const { upstream, clock, h, agent } = await heldProxy();
    const reached = upstream.next('tools/call');
    const call = failureOf(
      agent.callTool({ name: 'hold', arguments: {} }, undefined, AGENT_PATIENCE),
    );
    const sent = await reached;
    const cancelled = upstream.next('notifications/cancelled');
    const finished = nextEvent(h.tracker, (event) => event.type === 'toolCall.finished');
    clock.advance(1000);

    const failure = await call;
    expect(failure).toBeInstanceOf(McpError);
    expect(failure).toMatchObject({
      code: -32001,
      message: 'MCP error -32001: Request timed out',
      data: { timeout: 1000 },
    });
    const reason = 'timed out after 1000 ms without an answer (requestTimeoutMs)';
    await expect(cancelled).resolves.toMatchObject({ params: { requestId: sent.id, reason } });
    await finished;
    expect(resultOf(h.events(), 'hold')).toMatchObject({
      outcome: 'timed_out',
      isError: true,
      reason,
    });
    await expect(settled(h)).resolves.toMatchObject({ inFlight: 0 });

    // No answer can come after all (its connection is let go of): nothing more is recorded, and
    // the session serves the next call.
    const echoed = await agent.callTool({ name: 'echo', arguments: {} });
    expect(echoed.content).toEqual([{ type: 'text', text: 'echo ran' }]);
    expect(toolResults(h)).toHaveLength(2);
    expect(resultOf(h.events(), 'hold')).toMatchObject({ outcome: 'timed_out' });
    expect(h.proxy.upstreamState()).toBe('up');
  });

  it('Seen: the upstream POST of a call that timed out, or that the agent cancelled, stayed open; it is aborted', async () => {
    const { upstream, clock, h, agent } = await heldProxy();
    let reached = upstream.next('tools/call');
    const timedOut = failureOf(
      agent.callTool({ name: 'hold', arguments: {} }, undefined, AGENT_PATIENCE),
    );
    const first = await reached;
    // Asked while the call is held: resolves when the upstream sees its connection close.
    const firstLetGo = upstream.released(first.id!);
    advance(clock, 1000);
    await expect(timedOut).resolves.toMatchObject({ code: -32001 });
    await firstLetGo;

    reached = upstream.next('tools/call');
    const controller = new AbortController();
    const cancelled = failureOf(
      agent.callTool({ name: 'hold', arguments: {} }, undefined, {
        ...AGENT_PATIENCE,
        signal: controller.signal,
      }),
    );
    const second = await reached;
    const secondLetGo = upstream.released(second.id!);
    const told = upstream.next('notifications/cancelled');
    controller.abort('the agent changed its mind');
    await cancelled;
    await expect(told).resolves.toMatchObject({ params: { requestId: second.id } });
    await secondLetGo;
    expect(
      toolResults(h).map((event) => (event as { data?: { outcome?: string } }).data?.outcome),
    ).toEqual(['timed_out', 'cancelled']);
    // Neither abort was taken for a lost connection: the session serves the next call.
    const echoed = await agent.callTool({ name: 'echo', arguments: {} });
    expect(echoed.content).toEqual([{ type: 'text', text: 'echo ran' }]);
    expect(h.proxy.upstreamState()).toBe('up');
  });

  it('starts the wait again on each progress notification, and ends it at maxRequestTotalMs however much progress comes', async () => {
    const { upstream, clock, h, agent } = await heldProxy({ maxRequestTotalMs: 2500 });
    const waiting: { resolve: (progress: number) => void }[] = [];
    const progressed = () => new Promise<number>((resolve) => waiting.push({ resolve }));
    const reached = upstream.next('tools/call');
    const call = failureOf(
      agent.callTool({ name: 'hold', arguments: {} }, CallToolResultSchema, {
        ...AGENT_PATIENCE,
        onprogress: ({ progress }) => waiting.shift()?.resolve(progress),
      }),
    );
    const { id } = await reached;
    // Progress reaches the agent only through a request still waiting in the proxy: seeing it
    // there after 1800 ms proves the 1000 ms window was opened again.
    const still = (progress: Promise<number>) =>
      Promise.race([progress, call.then(() => 'the call ended')]);
    clock.advance(900);
    let next = progressed();
    upstream.progress(id!, 1);
    await expect(still(next)).resolves.toBe(1);
    clock.advance(900);
    next = progressed();
    upstream.progress(id!, 2);
    await expect(still(next)).resolves.toBe(2);
    clock.advance(699);
    next = progressed();
    upstream.progress(id!, 3);
    await expect(still(next)).resolves.toBe(3);
    const cancelled = upstream.next('notifications/cancelled');
    clock.advance(1);

    expect(await call).toMatchObject({
      code: -32001,
      message: 'MCP error -32001: Maximum total timeout exceeded',
      data: { maxTotalTimeout: 2500, totalElapsed: 2500 },
    });
    const reason =
      'timed out after 2500 ms: the most a request may take, progress or not (maxRequestTotalMs 2500)';
    await expect(cancelled).resolves.toMatchObject({ params: { requestId: id, reason } });
    await settled(h);
    expect(resultOf(h.events(), 'hold')).toMatchObject({ outcome: 'timed_out', reason });
  });

  it('serves the last good tool list when a tools/list times out, and cancels it upstream', async () => {
    const { upstream, clock, agent } = await heldProxy();
    const listed = (await agent.listTools()).tools;
    expect(listed.map((tool) => tool.name)).toEqual(['hold', 'echo']);
    upstream.holding.add('tools/list');
    const reached = upstream.next('tools/list');
    const listing = agent.listTools(undefined, AGENT_PATIENCE);
    const { id } = await reached;
    const cancelled = upstream.next('notifications/cancelled');
    clock.advance(1000);
    await expect(listing).resolves.toEqual({ tools: listed });
    await expect(cancelled).resolves.toMatchObject({ params: { requestId: id } });
  });
});

describe('proxy: the connect deadline', () => {
  it('goes down after connectTimeoutMs when the HTTP upstream never answers initialize, and backs off', async () => {
    const upstream = await held({ hold: ['initialize'] });
    const clock = new VirtualClock();
    const reached = upstream.next('initialize');
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: clock,
      connectTimeoutMs: 5000,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    await reached;
    const down = nextNotice(h.proxy, upstreamIs('down'));
    clock.advance(4999);
    expect(h.proxy.upstreamState()).toBe('connecting');
    clock.advance(1);
    await expect(down).resolves.toMatchObject({
      data: {
        reason: 'the upstream did not answer initialize within 5000 ms (connectTimeoutMs)',
        retryInMs: 75,
      },
    });
    // An initialize is never cancelled, not even by a deadline.
    expect(upstream.received.map((message) => message.method)).toEqual(['initialize']);
    const agent = await h.connect();
    expect(agent.getServerVersion()).toEqual({ name: 'toolflight-proxy', version: '0.1.0' });
  });
});

describe('proxy: deadline options', () => {
  it.each([
    ['requestTimeoutMs', 0],
    ['requestTimeoutMs', 1.5],
    ['maxRequestTotalMs', -1],
    ['maxRequestTotalMs', Infinity],
    ['connectTimeoutMs', 2 ** 31],
    ['connectTimeoutMs', '30000'],
  ])('refuses %s: %s, naming the option and what to pass', async (name, value) => {
    const tracker = createTracker({ store: createMemoryStore() });
    await expect(
      createProxy({ tracker, upstream: { url: 'http://127.0.0.1:1/mcp' }, [name]: value }),
    ).rejects.toMatchObject({
      code: 'invalid_option',
      message: expect.stringMatching(
        new RegExp(
          `^${name} must be a whole number of ms from 1 to 2147483647, got .+: leave it out for the default, \\d+$`,
        ),
      ) as unknown,
    });
  });
});

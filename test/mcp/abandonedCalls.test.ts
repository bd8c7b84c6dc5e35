import { once } from 'node:events';

import { describe, expect, it } from 'vitest';

import { filter, firstValueFrom, take, toArray } from 'rxjs';

import type { ToolCallResult, ToolflightEvent } from '../../src/index.js';
import type { LoopbackTool } from '../../src/mcp/index.js';
import {
  echoTool,
  gateTool,
  nextEvent,
  type Harness,
  raw,
  resultOf,
  settled,
  startHarness,
  toolsCall,
  VirtualClock,
} from './support.js';

/** A tool that never returns on its own: it settles only when its signal is aborted. */
const stubbornTool = (extra: Partial<LoopbackTool> = {}): LoopbackTool => ({
  name: 'stubborn',
  inputSchema: { type: 'object' },
  run: (_args, { signal }) =>
    new Promise((resolve) =>
      signal.addEventListener('abort', () =>
        resolve({ content: [{ type: 'text', text: 'stopped' }] }),
      ),
    ),
  ...extra,
});

const isResult = (event: ToolflightEvent): event is ToolCallResult =>
  event.type === 'toolCall.result';

/** Resolves once `count` tool calls have started (subscribe before calling). */
function callsStarted(h: Harness, count: number): Promise<unknown> {
  return firstValueFrom(
    h.tracker.events$.pipe(
      filter((event) => event.type === 'toolCall.started'),
      take(count),
      toArray(),
    ),
  );
}

describe('loopback server: tool timeouts on the server scheduler', () => {
  it('times out a call after its timeoutMs, not a tick before: outcome timed_out at once, and the call finishes when the tool returns', async () => {
    const clock = new VirtualClock();
    const h = await startHarness({ scheduler: clock, tools: [stubbornTool({ timeoutMs: 50 })] });
    const client = await h.connect();
    const started = callsStarted(h, 1);
    const call = client.callTool({ name: 'stubborn', arguments: {} });
    // The call's timeout is set as it starts.
    await started;
    clock.advance(49);
    expect(h.events().some(isResult)).toBe(false);
    clock.advance(1);
    expect(resultOf(h.events(), 'stubborn')).toMatchObject({
      outcome: 'timed_out',
      reason: 'timed out after 50 ms',
    });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/timed out after 50 ms/);
    await settled(h);
    expect(h.events().filter((event) => event.type === 'toolCall.finished')).toHaveLength(1);
  });

  it("times out a call after the server's toolTimeoutMs, unless its tool sets its own", async () => {
    const clock = new VirtualClock();
    const h = await startHarness({
      scheduler: clock,
      toolTimeoutMs: 100,
      tools: [stubbornTool(), stubbornTool({ name: 'patient', timeoutMs: 200 })],
    });
    const client = await h.connect();
    const started = callsStarted(h, 2);
    const calls = Promise.all([
      client.callTool({ name: 'stubborn', arguments: {} }),
      client.callTool({ name: 'patient', arguments: {} }),
    ]);
    await started;
    clock.advance(100);
    expect(resultOf(h.events(), 'stubborn')).toMatchObject({
      outcome: 'timed_out',
      reason: 'timed out after 100 ms',
    });
    expect(h.events().filter(isResult)).toHaveLength(1);
    clock.advance(99);
    expect(h.events().filter(isResult)).toHaveLength(1);
    clock.advance(1);
    expect(resultOf(h.events(), 'patient')).toMatchObject({
      outcome: 'timed_out',
      reason: 'timed out after 200 ms',
    });
    for (const result of await calls) expect(result.isError).toBe(true);
    await settled(h);
  });

  it('cancels the timeout of a call that completed in time', async () => {
    const clock = new VirtualClock();
    const h = await startHarness({ scheduler: clock, toolTimeoutMs: 50 });
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: { text: 'quick' } });
    expect(result.isError).toBeUndefined();
    expect(clock.pending).toBe(0);
    clock.advance(50);
    expect(
      h
        .events()
        .filter(isResult)
        .map((event) => event.data.outcome),
    ).toEqual(['completed']);
  });

  it('refuses a scheduler that is not an RxJS scheduler, saying what to pass', async () => {
    const start = startHarness({ scheduler: { now: () => 0 } as never });
    await expect(start).rejects.toMatchObject({ code: 'invalid_option' });
    await expect(start).rejects.toThrow(/scheduler must be an RxJS scheduler/);
  });
});

describe('loopback server: calls that end before their tool returns', () => {
  it('cancels a call on notifications/cancelled from another POST; the tool sees its signal aborted', async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate] });
    const client = await h.connect();
    const abort = new AbortController();
    const call = client.callTool({ name: 'gate', arguments: {} }, undefined, {
      signal: abort.signal,
    });
    const signal = await gate.started();
    const recorded = nextEvent(h.tracker, (event) => event.type === 'toolCall.result');
    abort.abort('the user changed their mind');
    await expect(call).rejects.toThrow();
    const result = (await recorded) as ToolCallResult;
    expect(signal.aborted).toBe(true);
    expect(result.data).toMatchObject({
      outcome: 'cancelled',
      reason: 'the user changed their mind',
    });
    // Still running: the capture stays busy until the tool's own code returns.
    expect(h.tracker.capture('run-1')?.toolCalls).toHaveLength(1);
    gate.release();
    await settled(h);
    expect(h.events().filter((event) => event.type === 'toolCall.finished')).toHaveLength(1);
  });

  it('cancels a call whose cancellation overtook it on another POST, before the tool runs', async () => {
    let ran = false;
    const h = await startHarness({
      tools: [{ ...echoTool, run: () => ((ran = true), { content: [] }) }],
    });
    const cancel = await raw(h.server, {
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 77, reason: 'no longer needed' },
      }),
    });
    expect(cancel.status).toBe(202);
    const response = await raw(h.server, { body: toolsCall('echo', {}, 77) });
    expect(response.json).toMatchObject({ id: 77, result: { isError: true } });
    expect(ran).toBe(false);
    await settled(h);
    expect(resultOf(h.events(), 'echo')).toMatchObject({
      outcome: 'cancelled',
      reason: 'no longer needed',
    });
    // Another call with another id is not affected.
    const next = await raw(h.server, { body: toolsCall('echo', {}, 78) });
    expect(next.json).toMatchObject({ id: 78, result: { content: [] } });
  });

  it('keeps a cancellation that overtook its call for 10 s of the server scheduler, then forgets it', async () => {
    const clock = new VirtualClock();
    const ran: unknown[] = [];
    const h = await startHarness({
      scheduler: clock,
      tools: [{ ...echoTool, run: (args) => (ran.push(args.n), { content: [] }) }],
    });
    const cancel = (requestId: number) =>
      raw(h.server, {
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId, reason: 'no longer needed' },
        }),
      });
    expect((await cancel(77)).status).toBe(202);
    expect((await cancel(78)).status).toBe(202);
    expect(clock.pending).toBe(2);
    clock.advance(9_999);
    const inTime = await raw(h.server, { body: toolsCall('echo', { n: 77 }, 77) });
    expect(inTime.json).toMatchObject({ id: 77, result: { isError: true } });
    clock.advance(1);
    const tooLate = await raw(h.server, { body: toolsCall('echo', { n: 78 }, 78) });
    expect(tooLate.json).toMatchObject({ id: 78, result: { content: [] } });
    expect(ran).toEqual([78]);
    expect(clock.pending).toBe(0);
    await settled(h);
    expect(
      h
        .events()
        .filter(isResult)
        .map((event) => event.data.outcome),
    ).toEqual(['cancelled', 'completed']);
  });

  it('records outcome unknown when the client disconnects mid-call, and the call still finishes', async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate] });
    const client = await h.connect();
    const call = client.callTool({ name: 'gate', arguments: {} });
    call.catch(() => undefined);
    const signal = await gate.started();
    const dropped = nextEvent(h.tracker, (event) => event.type === 'request.finished');
    await client.close();
    expect((await dropped).data).toEqual({});
    if (!signal.aborted) await once(signal, 'abort');
    expect(resultOf(h.events(), 'gate')).toMatchObject({ outcome: 'unknown', isError: true });
    gate.release();
    await settled(h);
    expect(h.events().find((event) => event.type === 'toolCall.finished')?.data).toEqual({
      prepared: true,
    });
  });

  it('records outcome unknown for a call in flight when the server closes, and aborts the tool', async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate] });
    const client = await h.connect();
    client.callTool({ name: 'gate', arguments: {} }).catch(() => undefined);
    const signal = await gate.started();
    await h.server.close();
    expect(signal.aborted).toBe(true);
    expect(resultOf(h.events(), 'gate')).toMatchObject({ outcome: 'unknown' });
    gate.release();
    await settled(h);
  });
});

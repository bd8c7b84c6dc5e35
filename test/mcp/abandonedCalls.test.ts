import { once } from 'node:events';

import { describe, expect, it } from 'vitest';

import type { ToolCallResult } from '../../src/index.js';
import type { LoopbackTool } from '../../src/mcp/index.js';
import {
  echoTool,
  gateTool,
  nextEvent,
  raw,
  resultOf,
  settled,
  startHarness,
  toolsCall,
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

describe('loopback server: calls that end before their tool returns', () => {
  it('times out a call: outcome timed_out at once, and the call finishes when the tool returns', async () => {
    const h = await startHarness({ tools: [stubbornTool({ timeoutMs: 50 })] });
    const client = await h.connect();
    const result = await client.callTool({ name: 'stubborn', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/timed out after 50 ms/);
    await settled(h);
    expect(resultOf(h.events(), 'stubborn')).toMatchObject({
      outcome: 'timed_out',
      reason: 'timed out after 50 ms',
    });
    expect(h.events().filter((event) => event.type === 'toolCall.finished')).toHaveLength(1);
  });

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

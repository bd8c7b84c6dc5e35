import { describe, expect, it } from 'vitest';

import { echoTool, resultOf, settled, startHarness } from './support.js';

describe('loopback server: tool calls', () => {
  it('tracks a call as started with the raw arguments, then prepared, result and finished', async () => {
    const h = await startHarness();
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result).toEqual({ content: [{ type: 'text', text: '{"text":"hi"}' }] });
    await settled(h);
    const call = h.events().filter((event) => event.type.startsWith('toolCall.'));
    expect(call.map((event) => [event.type, event.data])).toEqual([
      ['toolCall.started', { request: 'rq_3', toolName: 'echo', args: { text: 'hi' } }],
      ['toolCall.prepared', { toolName: 'echo', args: { text: 'hi' } }],
      ['toolCall.result', { outcome: 'completed', isError: false, result }],
      ['toolCall.finished', { prepared: true }],
    ]);
  });

  it('records the arguments a beforeToolCall hook rewrote as prepared, and the tool gets them', async () => {
    const h = await startHarness({
      hooks: {
        beforeToolCall: [
          ({ args }) => ({ args: { ...args, idempotencyKey: 'k-1' } }),
          ({ args, toolName }) =>
            toolName === 'echo' ? { args: { ...args, checked: true } } : undefined,
        ],
      },
    });
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([
      { type: 'text', text: '{"text":"hi","idempotencyKey":"k-1","checked":true}' },
    ]);
    await settled(h);
    const events = h.events();
    expect(events.find((event) => event.type === 'toolCall.started')?.data).toMatchObject({
      args: { text: 'hi' },
    });
    expect(events.find((event) => event.type === 'toolCall.prepared')?.data).toEqual({
      toolName: 'echo',
      args: { text: 'hi', idempotencyKey: 'k-1', checked: true },
    });
  });

  it('blocks a call a hook refuses: outcome blocked with its reason, never prepared, the tool never runs', async () => {
    let ran = false;
    const h = await startHarness({
      tools: [{ ...echoTool, run: () => ((ran = true), { content: [] }) }],
      hooks: { beforeToolCall: () => ({ block: 'protected branch' }) },
    });
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/protected branch/);
    await settled(h);
    expect(ran).toBe(false);
    expect(resultOf(h.events(), 'echo')).toMatchObject({
      outcome: 'blocked',
      isError: true,
      reason: 'protected branch',
    });
    expect(h.events().find((event) => event.type === 'toolCall.finished')?.data).toEqual({
      prepared: false,
    });
  });

  it('fails a call whose hook throws, without running the tool or telling the agent why', async () => {
    let ran = false;
    const h = await startHarness({
      tools: [{ ...echoTool, run: () => ((ran = true), { content: [] }) }],
      hooks: {
        beforeToolCall: () => {
          throw new Error('policy database is down');
        },
      },
    });
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).not.toMatch(/policy database/);
    await settled(h);
    expect(ran).toBe(false);
    expect(resultOf(h.events(), 'echo')).toMatchObject({
      outcome: 'failed',
      reason: 'beforeToolCall hook threw: policy database is down',
    });
  });

  it('records failed for a tool that throws and for one that answers isError; the agent gets isError results', async () => {
    const h = await startHarness({
      tools: [
        {
          name: 'throws',
          inputSchema: { type: 'object' },
          run: () => {
            throw new Error('disk full');
          },
        },
        {
          name: 'refuses',
          inputSchema: { type: 'object' },
          run: () => ({ content: [{ type: 'text', text: 'channel is archived' }], isError: true }),
        },
      ],
    });
    const client = await h.connect();
    expect(await client.callTool({ name: 'throws', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'disk full' }],
      isError: true,
    });
    expect(await client.callTool({ name: 'refuses', arguments: {} })).toMatchObject({
      isError: true,
    });
    await settled(h);
    expect(resultOf(h.events(), 'throws')).toMatchObject({
      outcome: 'failed',
      reason: 'disk full',
    });
    expect(resultOf(h.events(), 'refuses')).toMatchObject({
      outcome: 'failed',
      isError: true,
      reason: 'channel is archived',
    });
  });

  it('checks arguments against the JSON Schema: an isError result and outcome failed, the tool never runs', async () => {
    const h = await startHarness({
      tools: [
        {
          ...echoTool,
          inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
        },
      ],
    });
    const client = await h.connect();
    const result = await client.callTool({ name: 'echo', arguments: { n: 'three' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/must be number/);
    await settled(h);
    expect(resultOf(h.events(), 'echo')).toMatchObject({ outcome: 'failed' });
  });

  it('leaves a call result intact when observers and subscribers throw, and reports each failure', async () => {
    const h = await startHarness();
    h.tracker.beginCapture('run-2', {
      onToolCallStart: () => {
        throw new Error('start observer broke');
      },
      onToolCallResult: () => {
        throw new Error('result observer broke');
      },
    });
    h.tracker.subscribe((event) => {
      if (event.type === 'toolCall.finished') throw new Error('subscriber broke');
    });
    const client = await h.connect({ capture: 'run-2' });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'intact' } });
    expect(result).toEqual({ content: [{ type: 'text', text: '{"text":"intact"}' }] });
    await settled(h, 'run-2');
    expect(resultOf(h.events(), 'echo')).toMatchObject({ outcome: 'completed', isError: false });
    const failures = h.events().filter((event) => event.type === 'observer.failed');
    expect(failures.map((event) => event.data)).toEqual([
      { hook: 'onToolCallStart', message: 'start observer broke' },
      { hook: 'onToolCallResult', message: 'result observer broke' },
      { hook: 'subscriber', message: 'subscriber broke' },
    ]);
  });

  it("delivers a tool's yielded message to the capture generation of its request", async () => {
    const messages: string[] = [];
    const h = await startHarness({
      tools: [
        {
          name: 'report',
          inputSchema: { type: 'object' },
          run: async (_args, context) => ({
            content: [{ type: 'text', text: String(await context.yieldMessage('halfway there')) }],
          }),
        },
      ],
    });
    h.tracker.beginCapture('run-2', { onYield: (message) => void messages.push(message) });
    const client = await h.connect({ capture: 'run-2' });
    const result = await client.callTool({ name: 'report', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'true' }]);
    expect(messages).toEqual(['halfway there']);
  });
});

import { describe, expect, it } from 'vitest';

import type { LoopbackTool } from '../../src/mcp/index.js';
import { BearerTokens } from '../../src/mcp/loopback/bearerTokens.js';
import {
  echoTool,
  gateTool,
  nextEvent,
  raw,
  rpcHeaders,
  startHarness,
  toolsCall,
} from './support.js';

const adminTool: LoopbackTool = {
  name: 'admin_reset',
  ownerOnly: true,
  inputSchema: { type: 'object' },
  run: () => ({ content: [{ type: 'text', text: 'reset' }] }),
};

describe('loopback server: bearer tokens', () => {
  it('mints two different 32-byte tokens per server', async () => {
    const first = await startHarness();
    const second = await startHarness();
    const tokens = [first.server, second.server].flatMap((server) => [
      server.token('owner'),
      server.token('non-owner'),
    ]);
    expect(new Set(tokens).size).toBe(4);
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('matches each token to its role, and nothing else: not a prefix, an extension or another scheme', () => {
    const tokens = new BearerTokens();
    const owner = tokens.token('owner')!;
    const nonOwner = tokens.token('non-owner')!;
    expect(tokens.match(`Bearer ${owner}`)).toBe('owner');
    expect(tokens.match(`bearer ${nonOwner}`)).toBe('non-owner');
    for (const header of [
      undefined,
      '',
      'Bearer ',
      `Bearer ${owner.slice(0, -1)}`,
      `Bearer ${owner}${owner}`,
      `Bearer ${owner} ${nonOwner}`,
      `Token ${owner}`,
      owner,
    ]) {
      expect(tokens.match(header)).toBeUndefined();
    }
  });

  it('matches nothing once the tokens are forgotten', () => {
    const tokens = new BearerTokens();
    const owner = tokens.token('owner')!;
    tokens.forget();
    expect(tokens.match(`Bearer ${owner}`)).toBeUndefined();
    expect(tokens.token('owner')).toBeUndefined();
  });
});

describe('loopback server: owner and non-owner', () => {
  it('lists owner-only tools to the owner token only', async () => {
    const h = await startHarness({ tools: [echoTool, adminTool] });
    const owner = await h.connect({ role: 'owner' });
    const other = await h.connect({ role: 'non-owner' });
    expect((await owner.listTools()).tools.map((tool) => tool.name)).toEqual([
      'echo',
      'admin_reset',
    ]);
    expect((await other.listTools()).tools.map((tool) => tool.name)).toEqual(['echo']);
  });

  it('answers a non-owner calling an owner-only tool with a tool error, recorded as blocked', async () => {
    const h = await startHarness({ tools: [echoTool, adminTool] });
    const other = await h.connect({ role: 'non-owner' });
    const recorded = nextEvent(h.tracker, (event) => event.type === 'toolCall.result');
    const result = await other.callTool({ name: 'admin_reset', arguments: {} });
    expect(result).toEqual({
      content: [{ type: 'text', text: 'tool "admin_reset" is not available' }],
      isError: true,
    });
    expect((await recorded).data).toMatchObject({
      outcome: 'blocked',
      reason: 'owner-only tool called without the owner token',
    });
    const owner = await h.connect({ role: 'owner' });
    expect(await owner.callTool({ name: 'admin_reset', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'reset' }],
    });
  });

  it('answers an unknown tool exactly as a hidden one, so a non-owner learns nothing', async () => {
    const h = await startHarness({ tools: [echoTool, adminTool] });
    const other = await h.connect({ role: 'non-owner' });
    const hidden = await other.callTool({ name: 'admin_reset', arguments: {} });
    const unknown = await other.callTool({ name: 'no_such_tool', arguments: {} });
    expect(JSON.stringify(unknown).replace('no_such_tool', 'X')).toBe(
      JSON.stringify(hidden).replace('admin_reset', 'X'),
    );
  });

  it('ignores headers that claim ownership: only the token decides', async () => {
    const h = await startHarness({ tools: [echoTool, adminTool] });
    const headers = rpcHeaders(h.server, {
      Authorization: `Bearer ${h.server.token('non-owner')}`,
      'x-toolflight-owner': 'true',
      'x-owner': '1',
      'x-sender-is-owner': 'true',
    });
    const list = await raw(h.server, {
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(list.json).toMatchObject({ result: { tools: [{ name: 'echo' }] } });
    expect((list.json as { result: { tools: unknown[] } }).result.tools).toHaveLength(1);
    const call = await raw(h.server, { headers, body: toolsCall('admin_reset') });
    expect(call.json).toMatchObject({ result: { isError: true } });
  });

  it("does not let a non-owner cancel an owner's call with the same request id", async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate] });
    const ownerCall = raw(h.server, { body: toolsCall('gate', {}, 42) });
    await gate.started();
    const cancel = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 42, reason: 'not yours' },
    });
    const refused = await raw(h.server, {
      headers: rpcHeaders(h.server, { Authorization: `Bearer ${h.server.token('non-owner')}` }),
      body: cancel,
    });
    expect(refused.status).toBe(202);
    gate.release('done');
    expect((await ownerCall).json).toMatchObject({ result: { content: [{ text: 'done' }] } });
    expect(h.events().find((event) => event.type === 'toolCall.result')?.data).toMatchObject({
      outcome: 'completed',
    });
  });
});

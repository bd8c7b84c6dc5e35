import { describe, expect, it } from 'vitest';

import type { LoopbackTool } from '../../src/mcp/index.js';
import {
  bearer,
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

describe('loopback server: credentials', () => {
  it('mints a different credential per server, capture and role, each carrying a 32-byte MAC', async () => {
    const first = await startHarness();
    const second = await startHarness();
    const credentials = [first.server, second.server].flatMap((server) =>
      ['run-1', 'run-2'].flatMap((capture) => [
        server.credential({ capture, owner: true }),
        server.credential({ capture, owner: false }),
      ]),
    );
    expect(new Set(credentials).size).toBe(8);
    for (const credential of credentials) {
      expect(Buffer.from(credential.split('.').at(-1)!, 'base64url')).toHaveLength(32);
    }
  });

  it('matches each credential to its role and capture, and nothing else: not a prefix, an extension or another scheme', async () => {
    const h = await startHarness({ tools: [echoTool, adminTool] });
    const owner = h.server.credential({ capture: 'run-1', owner: true });
    const nonOwner = h.server.credential({ capture: 'run-1', owner: false });
    const list = (authorization: string | undefined) => {
      const headers = rpcHeaders(h.server);
      if (authorization === undefined) delete headers.Authorization;
      else headers.Authorization = authorization;
      return raw(h.server, {
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    };
    const names = (response: { json: unknown }) =>
      (response.json as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
    expect(names(await list(`Bearer ${owner}`))).toEqual(['echo', 'admin_reset']);
    expect(names(await list(`bearer ${nonOwner}`))).toEqual(['echo']);
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
      expect((await list(header)).status, String(header)).toBe(401);
    }
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
      Authorization: bearer(h.server, 'run-1', 'non-owner'),
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
      headers: rpcHeaders(h.server, { Authorization: bearer(h.server, 'run-1', 'non-owner') }),
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

import { describe, expect, it } from 'vitest';

import { maskSecrets, summarizeEvent, type ToolflightEvent } from '../src/index.js';

const started = (args: Record<string, unknown>): ToolflightEvent => ({
  v: 1,
  seq: 2,
  at: 0,
  type: 'toolCall.started',
  capture: 'k',
  gen: 1,
  id: 'tc_1',
  data: { toolName: 'send', args },
});

describe('summarizeEvent', () => {
  it('masks secret-looking argument values at any depth, never the keys', () => {
    const line = summarizeEvent(
      started({ to: '#ops', apiKey: 'sk-live-1', auth: { password: 'hunter2' } }),
    );
    expect(line).toBe('send {"to":"#ops","apiKey":"••••••","auth":{"password":"••••••"}}');
    expect(line).not.toMatch(/sk-live-1|hunter2/);
  });

  it('says what a result, a finish and a dropped connection were', () => {
    const base = { v: 1, seq: 3, at: 0, capture: 'k', gen: 1, id: 'tc_1' } as const;
    expect(
      summarizeEvent({
        ...base,
        type: 'toolCall.result',
        data: { outcome: 'blocked', isError: true, reason: 'policy' },
      }),
    ).toBe('blocked (policy)');
    expect(summarizeEvent({ ...base, type: 'toolCall.finished', data: { prepared: true } })).toBe(
      'prepared=true',
    );
    expect(summarizeEvent({ ...base, id: 'rq_1', type: 'request.finished', data: {} })).toBe(
      'connection dropped',
    );
  });

  it('leaves the masked input unchanged', () => {
    const args = { token: 't' };
    expect(maskSecrets(args)).toEqual({ token: '••••••' });
    expect(args).toEqual({ token: 't' });
  });

  it('says what the proxy and the outbox noted, in a line each', () => {
    const base = { v: 1, seq: 4, at: 0 } as const;
    expect(
      summarizeEvent({
        ...base,
        type: 'upstream.changed',
        data: { server: 'relay:443', state: 'down', reason: 'ECONNREFUSED', retryInMs: 250 },
      }),
    ).toBe('relay:443 down (ECONNREFUSED), retry in 250 ms');
    expect(
      summarizeEvent({
        ...base,
        type: 'upstream.changed',
        data: { server: 'mcp-git', state: 'up', stderr: 'listening' },
      }),
    ).toBe('mcp-git stderr: listening');
    expect(
      summarizeEvent({
        ...base,
        type: 'catalog.listed',
        data: { server: 'relay:443', tools: [{}, {}], fingerprint: 'f' },
      }),
    ).toBe('relay:443: 2 tool(s)');
    expect(
      summarizeEvent({ ...base, type: 'outbox.enqueued', data: { key: 'k1', tool: 'append' } }),
    ).toBe('append key=k1');
    expect(
      summarizeEvent({
        ...base,
        type: 'outbox.rejected',
        data: { key: 'k1', tool: 'append', reason: 'expired' },
      }),
    ).toBe('append key=k1: expired');
  });
});

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
});

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
  it('masks secret argument values at any depth, never the keys', () => {
    const line = summarizeEvent(
      started({ to: '#ops', apiKey: 'sk-live-1', options: { auth: { password: 'hunter2' } } }),
    );
    expect(line).toBe('send {"to":"#ops","apiKey":"••••••","options":{"auth":"••••••"}}');
    expect(line).not.toMatch(/sk-live-1|hunter2/);
  });

  // Regression: the demo printed "idempotencyKey":"••••••", a key `toolflight outbox retry` needs.
  it('shows idempotency keys and token counts, and masks credentials inside strings', () => {
    const line = summarizeEvent(
      started({
        idempotencyKey: 'k-42',
        max_tokens: 256,
        headers: ['Authorization: Bearer abc123'],
        note: 'see https://bot:hunter2@relay.example.com',
      }),
    );
    expect(line).toBe(
      'send {"idempotencyKey":"k-42","max_tokens":256,"headers":["Authorization: Bearer ••••••"],"note":"see https://bot:••••••@relay.example.com"}',
    );
  });

  it('masks secrets in reasons, messages and upstream stderr lines, before cutting them', () => {
    const base = { v: 1, seq: 5, at: 0, capture: 'k', gen: 1, id: 'tc_1' } as const;
    expect(
      summarizeEvent({
        ...base,
        type: 'toolCall.result',
        data: { outcome: 'failed', isError: true, reason: 'HTTP 401 for TOKEN=abc123' },
      }),
    ).toBe('failed (HTTP 401 for TOKEN=••••••)');
    expect(
      summarizeEvent({
        v: 1,
        seq: 6,
        at: 0,
        type: 'observer.failed',
        data: { hook: 'onCall', message: 'cannot post with password: hunter2' },
      }),
    ).toBe('onCall: cannot post with password: ••••••');
    // The token straddles the 200th character: cut first, its tail would be too short to know.
    const token = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
    const stderr = `${'x'.repeat(180)} using ${token} now`;
    const line = summarizeEvent({
      v: 1,
      seq: 7,
      at: 0,
      type: 'upstream.changed',
      data: { server: 'mcp-git', state: 'up', stderr },
    });
    expect(line).toBe(`mcp-git stderr: ${'x'.repeat(180)} using ghp_•••••• no`);
    expect(
      summarizeEvent({
        v: 1,
        seq: 8,
        at: 0,
        type: 'outbox.rejected',
        data: { key: 'k-9', tool: 'post', reason: 'HTTP 403 Authorization: Bearer abc' },
      }),
    ).toBe('post key=k-9: HTTP 403 Authorization: Bearer ••••••');
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
      summarizeEvent({
        ...base,
        type: 'catalog.listed',
        data: { server: 'relay:443', tools: [{}], fingerprint: 'f', kept: true },
      }),
    ).toBe('relay:443: 1 tool(s) (kept copy)');
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

describe('summarizeEvent of a log.gap', () => {
  it('says which seqs are missing and why, masked', () => {
    expect(
      summarizeEvent({
        v: 1,
        seq: 6,
        at: 0,
        type: 'log.gap',
        data: { through: 13, reason: 'ENOSPC writing /var/log/run.jsonl token=hunter2' },
      }),
    ).toBe('seq 6 to 13 not recorded: ENOSPC writing /var/log/run.jsonl token=••••••');
  });
});

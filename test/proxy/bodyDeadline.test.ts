// The body deadline is shared endpoint code (src/mcp/endpoint/readBody.ts): the proxy runs it on
// its own scheduler too, so a stalled upload is refused on virtual time there as well.
import { describe, expect, it } from 'vitest';

import { stalledPost, textOf, until, VirtualClock } from '../mcp/support.js';
import { startProxy, stdioUpstream } from './support.js';

describe('proxy: the body deadline on its scheduler', () => {
  it('answers 408 when the body stalls for bodyTimeoutMs of the proxy scheduler, not a tick before', async () => {
    const clock = new VirtualClock();
    // A stdio upstream starts with the first message it must answer: none here.
    const h = await startProxy({
      upstream: stdioUpstream(),
      scheduler: clock,
      limits: { bodyTimeoutMs: 50 },
    });
    const headers = {
      Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    };
    const { req, response } = stalledPost(
      { host: '127.0.0.1', port: h.proxy.port },
      headers,
      100,
      '{"jsonrpc":',
    );
    await clock.armed();
    clock.advance(49);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    const res = await response;
    expect(res.statusCode).toBe(408);
    expect(await textOf(res)).toContain('did not arrive within 50 ms');
    req.destroy();
    await until(h.tracker, 'run-1', (snapshot) => snapshot?.inFlight === 0);
    expect(h.events().at(-1)).toMatchObject({ type: 'request.finished', data: { status: 408 } });
    expect(h.events().some((event) => event.type === 'upstream.changed')).toBe(false);
  });
});

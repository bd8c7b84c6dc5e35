import { once } from 'node:events';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';

import { describe, expect, it } from 'vitest';

import { readBody, type BodyLimits } from '../../src/mcp/endpoint/readBody.js';
import { VirtualClock } from './support.js';

/** A request as the HTTP parser leaves it: `chunks` pushed, complete when `ended`. */
function parsed(chunks: readonly string[], ended: boolean): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = {};
  for (const chunk of chunks) req.push(Buffer.from(chunk));
  if (ended) {
    req.push(null);
    req.complete = true;
  }
  return req;
}

/** At most 100 bytes within `bodyTimeoutMs` of `clock`. */
const limits = (clock: VirtualClock, bodyTimeoutMs = 50): BodyLimits => ({
  maxBodyBytes: 100,
  bodyTimeoutMs,
  scheduler: clock,
});

// The deadlines run on a virtual clock that only the test moves: a read that waited for a
// stream event that never comes fails the test by its timeout rather than pass.
describe('readBody', () => {
  it('takes a body the parser already holds whole, without setting a deadline', async () => {
    const clock = new VirtualClock();
    const req = parsed(['{"jsonrpc":', '"2.0"}'], true);
    await expect(readBody(req, limits(clock))).resolves.toEqual({
      kind: 'body',
      text: '{"jsonrpc":"2.0"}',
    });
    expect(clock.pending).toBe(0);
  });

  it('refuses a whole body over the limit, and reads an empty one as empty', async () => {
    const clock = new VirtualClock();
    await expect(readBody(parsed(['x'.repeat(101)], true), limits(clock))).resolves.toEqual({
      kind: 'too_large',
    });
    await expect(readBody(parsed([], true), limits(clock))).resolves.toEqual({
      kind: 'body',
      text: '',
    });
  });

  it('waits for a body that is still arriving, and cancels its deadline once it is whole', async () => {
    const clock = new VirtualClock();
    const req = parsed(['{"a":'], false);
    const read = readBody(req, limits(clock));
    await clock.armed();
    clock.advance(49);
    req.push(Buffer.from('1}'));
    req.push(null);
    await expect(read).resolves.toEqual({ kind: 'body', text: '{"a":1}' });
    expect(clock.pending).toBe(0);
  });

  it('times out a body still arriving once timeoutMs passed on its scheduler, not a tick before', async () => {
    const clock = new VirtualClock();
    const req = parsed(['{"a":'], false);
    const read = readBody(req, limits(clock));
    await clock.armed();
    clock.advance(49);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    await expect(read).resolves.toEqual({ kind: 'timed_out' });
    // It stopped pulling the bytes it will not use.
    expect(req.isPaused()).toBe(true);
  });

  it('answers closed at once for a request destroyed before its body was read', async () => {
    const clock = new VirtualClock();
    const req = parsed(['{"a":'], false);
    req.destroy();
    await once(req, 'close');
    await expect(readBody(req, limits(clock))).resolves.toEqual({ kind: 'closed' });
    expect(clock.pending).toBe(0);
  });
});

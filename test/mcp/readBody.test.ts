import { once } from 'node:events';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';

import { describe, expect, it } from 'vitest';

import { readBody } from '../../src/mcp/endpoint/readBody.js';

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

// Each read has a deadline of a minute: a read that waited for a stream event that never comes
// would fail the test by its timeout rather than pass.
describe('readBody', () => {
  it('takes a body the parser already holds whole', async () => {
    const req = parsed(['{"jsonrpc":', '"2.0"}'], true);
    await expect(readBody(req, 100, 60_000)).resolves.toEqual({
      kind: 'body',
      text: '{"jsonrpc":"2.0"}',
    });
  });

  it('refuses a whole body over the limit, and reads an empty one as empty', async () => {
    await expect(readBody(parsed(['x'.repeat(101)], true), 100, 60_000)).resolves.toEqual({
      kind: 'too_large',
    });
    await expect(readBody(parsed([], true), 100, 60_000)).resolves.toEqual({
      kind: 'body',
      text: '',
    });
  });

  it('waits for a body that is still arriving', async () => {
    const req = parsed(['{"a":'], false);
    const read = readBody(req, 100, 60_000);
    await Promise.resolve();
    req.push(Buffer.from('1}'));
    req.push(null);
    await expect(read).resolves.toEqual({ kind: 'body', text: '{"a":1}' });
  });

  it('answers closed at once for a request destroyed before its body was read', async () => {
    const req = parsed(['{"a":'], false);
    req.destroy();
    await once(req, 'close');
    await expect(readBody(req, 100, 60_000)).resolves.toEqual({ kind: 'closed' });
  });
});

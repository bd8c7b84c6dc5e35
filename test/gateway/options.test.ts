// createGateway refuses what it cannot serve with a GatewayError that says what to do instead,
// before it starts anything.
import { describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createGateway, GatewayError, type GatewayOptions } from '../../src/mcp/index.js';

const tracker = createTracker();
const echo = { url: 'http://127.0.0.1:9/mcp' };

describe('createGateway options', () => {
  it.each<[string, Partial<GatewayOptions<undefined>>, RegExp]>([
    ['no servers', { servers: {} }, /servers is empty/],
    ['servers not an object', { servers: [] as never }, /must be an object of servers by name/],
    ['a server that is neither', { servers: { x: { nope: 1 } as never } }, /servers\.x must be/],
    ['a bad URL', { servers: { x: { url: 'not a url' } } }, /servers\.x\.url is not a URL/],
    [
      'shared over HTTP',
      { servers: { x: { url: echo.url, shared: true } as never } },
      /shared is for a stdio/,
    ],
    ['an empty name', { servers: { '': echo } }, /1 to 64 characters/],
    ['a name too long', { servers: { ['n'.repeat(65)]: echo } }, /1 to 64 characters/],
    [
      'two names with one prefix',
      { servers: { 'my server': echo, my_server: echo } },
      /would both name their tools my_server__/,
    ],
    [
      'a prefix not a string',
      { servers: { x: { upstream: echo, prefix: 3 as never } } },
      /prefix must be a string/,
    ],
    [
      'reserved not an array',
      { servers: { x: echo }, reserved: 'x' as never },
      /reserved must be an array/,
    ],
    ['a bad port', { servers: { x: echo }, port: 70_000 }, /port must be an integer/],
    ['a bad listWaitMs', { servers: { x: echo }, listWaitMs: -1 }, /listWaitMs/],
    [
      'too many servers',
      { servers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`s${i}`, echo])) },
      /more than 100/,
    ],
  ])('refuses %s', async (_case, options, message) => {
    const refusal = await createGateway({ tracker, servers: { x: echo }, ...options }).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ code: 'invalid_option' });
    expect((refusal as Error).message).toMatch(message);
  });

  it('refuses a missing tracker', async () => {
    const refusal = await createGateway({ servers: { x: echo } } as never).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'invalid_option' });
    expect((refusal as Error).message).toMatch(/tracker is required/);
  });

  it('lets several servers keep their own names (prefix ""), whatever else they share', async () => {
    const gateway = await createGateway({
      tracker,
      servers: { a: { upstream: echo, prefix: '' }, b: { upstream: echo, prefix: '' } },
    });
    await gateway.close();
    expect(gateway.servers().map((s) => s.state)).toEqual(['idle', 'idle']);
  });
});

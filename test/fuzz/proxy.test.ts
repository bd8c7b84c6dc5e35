// Random hostile requests against the proxy, in front of a real upstream (see ./support.ts).
import { describe, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createProxy } from '../../src/mcp/index.js';
import { onCleanup, raw, toolsCall, until } from '../mcp/support.js';
import { httpUpstream } from '../proxy/support.js';
import { eventually, fuzz, hostileSession, MCP_STATUSES } from './support.js';

describe('proxy under hostile requests', () => {
  it('answers each with a documented status, serves a normal call after each, and comes back to rest with its heap', async () => {
    const upstream = await httpUpstream(['echo']);
    const tracker = createTracker({ store: createMemoryStore({ retain: 100 }) });
    const captures = ['run-1', 'run-2'];
    for (const capture of captures) tracker.beginCapture(capture);
    const maxBodyBytes = 64 * 1024;
    const proxy = await createProxy({
      tracker,
      upstream: { url: upstream.url },
      limits: { maxBodyBytes, bodyTimeoutMs: 100, headersTimeoutMs: 1_000, idleTimeoutMs: 50 },
    });
    onCleanup(() => proxy.close());
    const credentials = captures.map((capture) => proxy.credential({ capture }));
    const headers = {
      Authorization: `Bearer ${credentials[0]}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    };
    const at = { host: '127.0.0.1', port: proxy.port } as never;
    // The proxy is stateful toward agents: a session for the normal calls, and one the hostile
    // requests name.
    const hostile = await hostileSession(at, headers);
    const normal = { ...headers, 'Mcp-Session-Id': await hostile.open() };
    const inFlight = () => captures.map((capture) => tracker.capture(capture)?.inFlight ?? 0);
    await fuzz(
      {
        aim: {
          port: proxy.port,
          host: `127.0.0.1:${proxy.port}`,
          path: '/mcp',
          authorizations: credentials.map((credential) => `Bearer ${credential}`),
          maxBodyBytes,
          session: hostile.session,
        },
        documented: MCP_STATUSES,
        normalCall: async () => {
          const { status } = await raw(at, {
            headers: normal,
            body: toolsCall('echo', { text: 'still here' }),
          });
          await hostile.renew();
          return status;
        },
        atRest: async (late) => {
          for (const capture of captures) {
            await until(tracker, capture, (snapshot) => snapshot?.inFlight === 0);
          }
          await eventually(() => late() || proxy.openStreams() === 0);
        },
        counters: () =>
          `${inFlight().join(' + ')} requests in flight, ${proxy.openStreams()} streams open`,
      },
      1000,
    );
  }, 60_000);
});

// Random hostile requests against the loopback MCP server (see ./support.ts).
import { describe, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createLoopbackServer, loopbackClientConfig } from '../../src/mcp/index.js';
import { echoTool, onCleanup, raw, toolsCall, until } from '../mcp/support.js';
import { eventually, fuzz, hostileSession, MCP_STATUSES } from './support.js';

describe('loopback server under hostile requests', () => {
  it('answers each with a documented status, serves a normal call after each, and comes back to rest with its heap', async () => {
    const tracker = createTracker({ store: createMemoryStore({ retain: 100 }) });
    tracker.beginCapture('run-1');
    const maxBodyBytes = 64 * 1024;
    const server = await createLoopbackServer({
      tracker,
      tools: [echoTool],
      limits: { maxBodyBytes, bodyTimeoutMs: 100, headersTimeoutMs: 1_000, idleTimeoutMs: 50 },
    });
    onCleanup(() => server.close());
    const credentials = [true, false].map(
      (owner) =>
        loopbackClientConfig(server, { capture: 'run-1', owner }).env.TOOLFLIGHT_MCP_TOKEN!,
    );
    const headers = {
      Authorization: `Bearer ${credentials[0]}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    };
    // Hostile requests mostly name a live session (the path SDK clients take); the normal
    // calls come without one, as a stateless agent sends them.
    const hostile = await hostileSession(server, headers);
    await fuzz(
      {
        aim: {
          port: server.port,
          host: `127.0.0.1:${server.port}`,
          path: '/mcp',
          authorizations: credentials.map((credential) => `Bearer ${credential}`),
          maxBodyBytes,
          session: hostile.session,
        },
        documented: MCP_STATUSES,
        normalCall: async () => {
          const body = toolsCall('echo', { text: 'still here' });
          const { status } = await raw(server, { headers, body });
          await hostile.renew();
          return status;
        },
        atRest: async (late) => {
          await until(tracker, 'run-1', (snapshot) => snapshot?.inFlight === 0);
          await eventually(() => late() || server.openStreams() === 0);
        },
        counters: () =>
          `${tracker.capture('run-1')?.inFlight} requests in flight, ${server.openStreams()} streams open`,
      },
      1000,
    );
  }, 60_000);
});

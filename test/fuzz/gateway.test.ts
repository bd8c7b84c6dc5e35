// Random hostile requests against a gateway in front of two real upstreams (see ./support.ts).
import { describe, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createGateway } from '../../src/mcp/index.js';
import { onCleanup } from '../mcp/support.js';
import { httpUpstream } from '../proxy/support.js';
import { fuzzSessionEndpoint } from './support.js';

describe('gateway under hostile requests', () => {
  it('answers each with a documented status, serves a normal call after each, and comes back to rest with its heap', async () => {
    const first = await httpUpstream(['echo']);
    const second = await httpUpstream(['echo']);
    const tracker = createTracker({ store: createMemoryStore({ retain: 100 }) });
    const captures = ['run-1', 'run-2'];
    for (const capture of captures) tracker.beginCapture(capture);
    const maxBodyBytes = 64 * 1024;
    const gateway = await createGateway({
      tracker,
      servers: { one: { url: first.url }, two: { url: second.url } },
      limits: { maxBodyBytes, bodyTimeoutMs: 100, headersTimeoutMs: 1_000, idleTimeoutMs: 50 },
    });
    onCleanup(() => gateway.close());
    await fuzzSessionEndpoint({
      port: gateway.port,
      credentials: captures.map((capture) => gateway.credential({ capture })),
      tracker,
      captures,
      maxBodyBytes,
      tool: 'two__echo',
      openStreams: () => gateway.openStreams(),
    });
  }, 60_000);
});

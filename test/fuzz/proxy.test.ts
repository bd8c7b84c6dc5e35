// Random hostile requests against the proxy, in front of a real upstream (see ./support.ts).
import { describe, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createProxy } from '../../src/mcp/index.js';
import { onCleanup } from '../mcp/support.js';
import { httpUpstream } from '../proxy/support.js';
import { fuzzSessionEndpoint } from './support.js';

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
    await fuzzSessionEndpoint({
      port: proxy.port,
      credentials: captures.map((capture) => proxy.credential({ capture })),
      tracker,
      captures,
      maxBodyBytes,
      tool: 'echo',
      openStreams: () => proxy.openStreams(),
    });
  }, 60_000);
});

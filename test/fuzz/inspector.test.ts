// Random hostile requests against the inspector (see ./support.ts).
import { request } from 'node:http';

import { describe, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createInspector } from '../../src/inspector/index.js';
import { eventually, fuzz, INSPECTOR_STATUSES } from './support.js';

describe('inspector under hostile requests', () => {
  it('answers each with a documented status, serves the page after each, and comes back to rest with its heap', async () => {
    const tracker = createTracker({ store: createMemoryStore({ retain: 200 }) });
    tracker.beginCapture('run-1');
    for (let i = 0; i < 50; i++) tracker.note('context.changed', { i, token: 'hunter2' });
    const inspector = await createInspector(
      { tracker },
      { limits: { headersTimeoutMs: 1_000, idleTimeoutMs: 50 } },
    );
    try {
      const page = (): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = request(inspector.url, { agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
      await fuzz(
        {
          aim: {
            port: inspector.port,
            host: `127.0.0.1:${inspector.port}`,
            path: '/',
            authorizations: [],
            tokenQuery: `token=${encodeURIComponent(inspector.token)}`,
            maxBodyBytes: 64 * 1024,
          },
          documented: INSPECTOR_STATUSES,
          normalCall: page,
          atRest: (late) =>
            eventually(() => {
              const stats = inspector.stats();
              return late() || (stats.streams === 0 && stats.connections.open === 0);
            }),
          counters: () => JSON.stringify(inspector.stats()),
        },
        1000,
      );
    } finally {
      await inspector.close();
    }
  }, 60_000);
});

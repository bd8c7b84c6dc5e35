// The delivery worker through a real link to the write fixture: the link renews a refused token
// and sends the delivery again, so the worker has no refresh of its own; a delivery still
// refused after that stays due and waits for the upstream's backoff, as before.
import { join } from 'node:path';

import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { openOutbox } from '../../src/mcp/index.js';
import { DeliveryWorker } from '../../src/mcp/proxy/outbox/deliveryWorker.js';
import { UpstreamLink } from '../../src/mcp/proxy/upstream/upstreamLink.js';
import { DEADLINE_DEFAULTS } from '../../src/mcp/proxy/upstream/upstreamDeadlines.js';
import type { WriteUpstream } from '../fixtures/outbox/writeUpstream.js';
import { onCleanup, tempDir, writeUpstream } from './support.js';

/** A link connected with token `old`, a worker draining through it, and what both did. */
async function throughLink(
  upstream: WriteUpstream,
  refreshToken: (live: { token: string }) => void,
) {
  upstream.token = 'old';
  const live = { token: 'old' };
  const warnings: string[] = [];
  const logger = { warn: (message: string) => void warnings.push(message) };
  let refreshes = 0;
  const link = new UpstreamLink({
    upstream: {
      url: upstream.url,
      getToken: () => live.token,
      refreshToken: () => {
        refreshes += 1;
        refreshToken(live);
      },
    },
    scheduler: new VirtualTimeScheduler(),
    random: () => 0.5,
    backoff: undefined,
    deadlines: DEADLINE_DEFAULTS,
    notice: () => undefined,
    logger,
    onUp: () => undefined,
    onServerMessage: () => undefined,
  });
  onCleanup(() => link.close());
  await link.ensure();
  const scheduler = new VirtualTimeScheduler();
  const outbox = openOutbox(join(await tempDir(), 'outbox.db'));
  onCleanup(() => Promise.resolve(outbox.close()));
  const notes: string[] = [];
  let forwards = 0;
  const worker = new DeliveryWorker({
    outbox,
    scheduler,
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1000 },
    ttlMs: 10_000,
    isUp: () => true,
    logger,
    note: (type, data) => notes.push(`${type} ${data.key}`),
    forward: (request) => (forwards++, link.forward(request)),
  });
  onCleanup(() => worker.stop());
  /** Queue `key` and let the worker's pass settle. */
  const deliver = async (key: string) => {
    outbox.enqueue({ key, tool: 'write_a', args: { writeId: key, idempotencyKey: key }, now: 0 });
    worker.wake();
    await worker.settled();
  };
  return {
    outbox,
    scheduler,
    notes,
    warnings,
    deliver,
    refreshes: () => refreshes,
    forwards: () => forwards,
  };
}

describe('the delivery worker through the link', () => {
  it('delivers an entry refused 401 once: the link renews the token and sends it again', async () => {
    const upstream = await writeUpstream();
    const w = await throughLink(upstream, (live) => (live.token = 'new'));
    upstream.token = 'new';
    await w.deliver('k');
    expect(w.refreshes()).toBe(1);
    expect(w.forwards()).toBe(1);
    expect(upstream.authorizations).toEqual(['Bearer old', 'Bearer new']);
    expect(upstream.effects.get('k')).toBe(1);
    expect(w.notes).toEqual(['outbox.delivered k']);
  });

  it('keeps the entry due and backs off when the renewed token is refused too', async () => {
    const upstream = await writeUpstream();
    upstream.refuse = () => ({ status: 403, text: 'no' });
    const w = await throughLink(upstream, () => undefined);
    await w.deliver('k');
    expect(w.refreshes()).toBe(1);
    // Sent twice upstream (before and after the renewal), once by the worker: no loop.
    expect(upstream.authorizations).toHaveLength(2);
    expect(w.forwards()).toBe(1);
    expect(w.outbox.pending()).toMatchObject([{ key: 'k', attempts: 1, lastError: 'HTTP 403 no' }]);
    expect(w.outbox.counts().dead).toBe(0);
    // The next attempt waits for the upstream's backoff (a timer), not for nothing.
    expect(w.scheduler.actions.map((action) => action.delay)).toEqual([75]);
  });

  it('keeps the first refusal and warns when refreshToken throws', async () => {
    const upstream = await writeUpstream();
    const w = await throughLink(upstream, () => {
      throw new Error('vault sealed');
    });
    upstream.token = 'new';
    await w.deliver('k');
    expect(w.refreshes()).toBe(1);
    expect(upstream.authorizations).toEqual(['Bearer old']);
    expect(w.outbox.pending()).toMatchObject([{ key: 'k', lastError: 'HTTP 401 token expired' }]);
    expect(w.warnings).toEqual([
      expect.stringMatching(/refreshToken threw, so the upstream's refusal stands: .*vault sealed/),
    ]);
  });
});

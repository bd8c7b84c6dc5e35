// The delivery worker on virtual time: backoff, per-target order, TTL, stop. A refused token is
// renewed by the link the worker forwards through: workerRenewal.test.ts.
import { join } from 'node:path';

import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { openOutbox, type Outbox } from '../../src/mcp/index.js';
import { DeliveryWorker, type WorkerDeps } from '../../src/mcp/proxy/outbox/deliveryWorker.js';
import type { Forwarded } from '../../src/mcp/proxy/upstream/upstreamSession.js';
import { onCleanup, tempDir } from './support.js';

const ok: Forwarded = {
  kind: 'answer',
  message: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'ok' }] } },
};
const away: Forwarded = { kind: 'unreachable', reason: 'connect ECONNREFUSED', unknown: false };
const refused = (status: number, text = 'no'): Forwarded => ({
  kind: 'refused',
  refusal: { status, text },
});

interface World {
  readonly scheduler: VirtualTimeScheduler;
  readonly outbox: Outbox;
  readonly worker: DeliveryWorker;
  /** `tool:key@time` of every delivery attempt. */
  readonly attempts: string[];
  readonly notes: string[];
  /** Run every timer due up to `until` (virtual ms), letting each pass settle. */
  readonly advance: (until: number) => Promise<void>;
  readonly enqueue: (key: string, tool?: string) => void;
}

async function world(
  answer: (request: JSONRPCRequest, attempt: number) => Forwarded | Promise<Forwarded>,
  extra: Partial<WorkerDeps> = {},
): Promise<World> {
  const scheduler = new VirtualTimeScheduler();
  const outbox = openOutbox(join(await tempDir(), 'outbox.db'));
  onCleanup(() => Promise.resolve(outbox.close()));
  const attempts: string[] = [];
  const notes: string[] = [];
  const worker = new DeliveryWorker({
    outbox,
    scheduler,
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1000 },
    ttlMs: 10_000,
    isUp: () => false,
    logger: undefined,
    note: (type, data) => notes.push(`${type} ${data.key}${data.reason ? ` ${data.reason}` : ''}`),
    forward: (request) => {
      const params = request.params as { name: string; arguments: { idempotencyKey: string } };
      attempts.push(`${params.name}:${params.arguments.idempotencyKey}@${scheduler.now()}`);
      return Promise.resolve(answer(request, attempts.length));
    },
    ...extra,
  });
  onCleanup(() => worker.stop());
  const advance = async (until: number) => {
    for (;;) {
      await worker.settled();
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > until) break;
      scheduler.maxFrames = next.delay;
      scheduler.flush();
    }
    scheduler.frame = Math.max(scheduler.frame, until);
  };
  const enqueue = (key: string, tool = 'write_a') => {
    outbox.enqueue({ key, tool, args: { idempotencyKey: key }, now: scheduler.now() });
    worker.wake();
  };
  return { scheduler, outbox, worker, attempts, notes, advance, enqueue };
}

describe('the delivery worker', () => {
  it('backs off (jittered, capped) while the upstream is away, then delivers on kick', async () => {
    let up = false;
    const w = await world(() => (up ? ok : away));
    w.enqueue('k1');
    await w.advance(5000);
    const times = w.attempts.map((a) => Number(a.split('@')[1]));
    // 100 * 2^(n-1), drawn at 0.75 of the ceiling, capped at 1000.
    expect(times.slice(0, 7)).toEqual([0, 75, 225, 525, 1125, 1875, 2625]);
    up = true;
    w.worker.kick();
    await w.advance(5000);
    expect(w.notes).toEqual(['outbox.delivered k1']);
    expect(w.outbox.counts()).toEqual({ pending: 0, dead: 0 });
    expect(w.scheduler.actions).toHaveLength(0);
  });

  it('holds back later entries of a target whose head must wait, while other targets go on', async () => {
    const w = await world((request, n) =>
      (request.params as { name: string }).name === 'write_a' && n === 1 ? refused(503) : ok,
    );
    w.enqueue('a1');
    w.enqueue('a2');
    w.enqueue('b1', 'write_b');
    await w.advance(0);
    expect(w.attempts).toEqual(['write_a:a1@0', 'write_b:b1@0']);
    await w.advance(1000);
    expect(w.attempts).toEqual(['write_a:a1@0', 'write_b:b1@0', 'write_a:a1@75', 'write_a:a2@75']);
    expect(w.notes).toEqual(['outbox.delivered b1', 'outbox.delivered a1', 'outbox.delivered a2']);
  });

  it('keeps a delivery that timed out pending (the upstream may have acted) and sends it again under its key, without holding back other targets', async () => {
    const timedOut: Forwarded = {
      kind: 'timed_out',
      reason: 'timed out after 60000 ms without an answer (requestTimeoutMs)',
      total: false,
      limitMs: 60_000,
      elapsedMs: 60_000,
      extended: false,
    };
    const w = await world((_, n) => (n === 1 ? timedOut : ok));
    w.enqueue('a1');
    w.enqueue('b1', 'write_b');
    await w.advance(0);
    expect(w.attempts).toEqual(['write_a:a1@0', 'write_b:b1@0']);
    expect(w.outbox.pending()).toMatchObject([
      {
        key: 'a1',
        attempts: 1,
        lastError:
          'timed out after 60000 ms without an answer (requestTimeoutMs); its outcome is unknown, so it is sent again under the same idempotency key',
      },
    ]);
    await w.advance(1000);
    expect(w.attempts).toEqual(['write_a:a1@0', 'write_b:b1@0', 'write_a:a1@75']);
    expect(w.notes).toEqual(['outbox.delivered b1', 'outbox.delivered a1']);
  });

  it('dead-letters an entry past its time to live as expired, and leaves no timer', async () => {
    const w = await world(() => away);
    w.enqueue('old');
    await w.advance(9_999);
    expect(w.outbox.counts()).toEqual({ pending: 1, dead: 0 });
    await w.advance(20_000);
    expect(w.notes).toEqual(['outbox.rejected old expired']);
    expect(w.outbox.dead()).toMatchObject([{ key: 'old', reason: 'expired', diedAt: 10_000 }]);
    expect(w.attempts.every((a) => Number(a.split('@')[1]) < 10_000)).toBe(true);
    expect(w.scheduler.actions).toHaveLength(0);
  });

  it('writes nothing after stop, even when a delivery in flight succeeds', async () => {
    let answer!: (outcome: Forwarded) => void;
    const w = await world(() => new Promise<Forwarded>((resolve) => (answer = resolve)));
    w.enqueue('k');
    w.scheduler.maxFrames = 0;
    w.scheduler.flush();
    const stopped = w.worker.stop();
    answer(ok);
    await stopped;
    expect(w.outbox.pending().map((e) => e.key)).toEqual(['k']);
    expect(w.notes).toEqual([]);
    expect(w.scheduler.actions).toHaveLength(0);
  });
});

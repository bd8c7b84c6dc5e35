// The shipper against a real nats-server: a host's log goes to the stream byte for byte, one
// subject per capture, exactly once and in order, through NATS SIGKILLs and restarts.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTracker, sequentialIds } from '../../src/index.js';
import { readJetStream, shipToJetStream, type ShippedEvent } from '../../src/nats/index.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

let server: NatsServer;
let dir: string;
let streams = 0;

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'toolflight-ship-'));
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh stream per test: names apart, so tests never see each other's messages. */
const fresh = () => {
  streams += 1;
  return { stream: `SHIP${streams}`, prefix: `ship${streams}` };
};

async function readAll(stream: { stream: string; prefix: string }): Promise<ShippedEvent[]> {
  const out: ShippedEvent[] = [];
  for await (const shipped of readJetStream({ servers: server.url, ...stream })) out.push(shipped);
  return out;
}

/** Drive `calls` tool calls over three captures that take turns. */
function track(tracker: ReturnType<typeof createTracker>, calls: number, from = 0): void {
  for (let i = from; i < from + calls; i++) {
    const key = `run ${i % 3}/é`;
    if (i < 3) tracker.beginCapture(key);
    const request = tracker.requestStarted(key);
    const call = tracker.toolCallStarted({ request, toolName: 'send', args: { i } });
    tracker.toolCallResult(call, { outcome: 'completed', isError: false, result: { ok: i } });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
  }
}

describe('shipToJetStream', () => {
  it('ships a log byte-identical to its spool file, one subject per capture, seqs gapless', async () => {
    const names = fresh();
    const spool = join(dir, 'identical');
    const shipper = await shipToJetStream({
      servers: server.url,
      host: 'host-a',
      spool,
      keep: true,
      ...names,
    });
    let now = 0;
    const tracker = createTracker({
      store: shipper.store,
      ids: sequentialIds(),
      clock: () => (now += 5),
    });
    track(tracker, 200);
    await shipper.flushed();
    const file = readFileSync(join(spool, `${shipper.log}.jsonl`), 'utf8');
    await shipper.close();
    const shipped = await readAll(names);
    expect(shipped.map(({ line }) => `${line}\n`).join('')).toBe(file);
    expect(shipped.map(({ event }) => event.seq)).toEqual(shipped.map((_, i) => i + 1));
    expect(new Set(shipped.map(({ host, log }) => `${host} ${log}`))).toEqual(
      new Set([`host-a ${shipper.log}`]),
    );
    // Batched: far fewer messages than events.
    expect(new Set(shipped.map(({ streamSeq }) => streamSeq)).size).toBeLessThan(shipped.length);
    // Filtered by capture on the server.
    const one: string[] = [];
    for await (const { event } of readJetStream({
      servers: server.url,
      ...names,
      filter: { capture: 'run 1/é' },
    })) {
      one.push(event.capture!);
    }
    expect(one.length).toBeGreaterThan(0);
    expect(new Set(one)).toEqual(new Set(['run 1/é']));
  });

  it('removes a shipped log from the spool at close, unless keep', async () => {
    const names = fresh();
    const spool = join(dir, 'removed');
    const shipper = await shipToJetStream({ servers: server.url, host: 'host-a', spool, ...names });
    track(createTracker({ store: shipper.store, ids: sequentialIds() }), 5);
    await shipper.close();
    expect(readdirSync(spool)).toEqual([]);
    expect((await readAll(names)).length).toBe(shipper.stats().appended);
  });

  it('keeps tracking while NATS is down, and ships everything once it is back', async () => {
    const nats = await startNatsServer();
    try {
      await nats.kill();
      const names = fresh();
      const errors: Error[] = [];
      const shipper = await shipToJetStream({
        servers: nats.url,
        host: 'host-a',
        spool: join(dir, 'down'),
        onError: (error) => errors.push(error),
        maxQueued: 50, // past it, events are read back from the spool file
        ...names,
      });
      const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
      track(tracker, 100);
      await expect.poll(() => errors.length).toBeGreaterThan(0);
      expect(errors[0]!.message).toMatch(/could not connect to NATS at nats:\/\/127\.0\.0\.1:/);
      expect(shipper.stats().acknowledged).toBe(0);
      await nats.restart();
      await shipper.flushed();
      const appended = shipper.stats().appended;
      await shipper.close();
      const shipped: number[] = [];
      for await (const { event } of readJetStream({ servers: nats.url, ...names }))
        shipped.push(event.seq);
      expect(shipped).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
    } finally {
      await nats.stop();
    }
  }, 30_000);

  it('loses and repeats nothing across 20 SIGKILLs of nats-server mid-stream', async () => {
    const seed = Number(process.env.TOOLFLIGHT_SEED ?? Date.now() % 100_000);
    process.stdout.write(
      `nats SIGKILL rounds: seed ${seed} (TOOLFLIGHT_SEED=${seed} repeats them)\n`,
    );
    let state = seed;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const nats = await startNatsServer();
    try {
      const names = fresh();
      const shipper = await shipToJetStream({
        servers: nats.url,
        host: 'host-k',
        spool: join(dir, 'killed'),
        ackTimeoutMs: 1000,
        maxInFlight: 16,
        maxBatchEvents: 8,
        ...names,
      });
      const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
      let calls = 0;
      let killedInFlight = 0;
      for (let round = 0; round < 20; round++) {
        // Kill while messages are in flight: after a random share of this round's calls.
        const before = 20 + Math.floor(random() * 200);
        const sent = shipper.stats().messages;
        track(tracker, before, calls);
        calls += before;
        // Shipping again on the new connection, with this round's events still to go.
        await expect.poll(() => shipper.stats().messages > sent).toBe(true);
        if (shipper.stats().pending > 0) killedInFlight += 1;
        await nats.kill('SIGKILL');
        const during = 10 + Math.floor(random() * 100);
        track(tracker, during, calls); // the host keeps tracking while NATS is gone
        calls += during;
        await nats.restart();
      }
      await shipper.flushed();
      const appended = shipper.stats().appended;
      const resyncs = shipper.stats().resyncs;
      await shipper.close();
      // The kills did land mid-stream: unacknowledged events at most of them, a resync each.
      expect(killedInFlight).toBeGreaterThanOrEqual(10);
      expect(resyncs).toBeGreaterThanOrEqual(21);
      const seqs: number[] = [];
      for await (const { event } of readJetStream({ servers: nats.url, ...names }))
        seqs.push(event.seq);
      expect(seqs.length).toBe(appended);
      expect(seqs).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
    } finally {
      await nats.stop();
    }
  }, 120_000);

  it('refuses bad options with the option named, and a spool another shipper holds', async () => {
    const base = { servers: server.url, spool: join(dir, 'bad') };
    await expect(shipToJetStream({ ...base, host: 'a/b' })).rejects.toThrow(
      /host must be 1 to 128/,
    );
    await expect(shipToJetStream({ ...base, host: 'h', maxInFlight: 0 })).rejects.toThrow(
      /maxInFlight must be a whole number/,
    );
    const held = await shipToJetStream({ ...base, host: 'h', ...fresh() });
    await expect(shipToJetStream({ ...base, host: 'h' })).rejects.toThrow(
      new RegExp(`the spool .* is in use by process ${process.pid}`),
    );
    await held.close();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    await expect(shipToJetStream({ ...base, spool: file, host: 'h' })).rejects.toThrow(
      /the spool .*a-file cannot be used/,
    );
  });
  it('Seen: a shipper that failed to start (its log file already held events) kept the spool locked', async () => {
    const reused = join(dir, 'reused');
    mkdirSync(reused);
    writeFileSync(join(reused, 'log-1.jsonl'), readFileSync('test/fixtures/quiet-run.jsonl'));
    await expect(
      shipToJetStream({ servers: server.url, host: 'h', spool: reused, log: 'log-1' }),
    ).rejects.toThrow(/already holds events/);
    const next = await shipToJetStream({
      servers: server.url,
      host: 'h',
      spool: reused,
      log: 'log-2',
      ...fresh(),
    });
    await next.close();
  });
});

// The shipper when JetStream refuses a message: no hole is left in the stream, what was stored
// past the refused message is removed and sent again, and the reconnect backoff runs on the
// injected scheduler.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { VirtualTimeScheduler, type SchedulerAction, type Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTracker, sequentialIds, type Tracker } from '../../src/index.js';
import { readJetStream, shipToJetStream, type Shipper } from '../../src/nats/index.js';
import { messageId, SEQ_HEADER } from '../../src/nats/shippedMessage.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

let server: NatsServer;
let dir: string;
let jsm: JetStreamManager;
let streams = 0;
let closeNats: () => Promise<void>;

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'toolflight-repair-'));
  const nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
  closeNats = () => nc.close();
}, 30_000);

afterAll(async () => {
  await closeNats?.();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh stream, created here (so its limits are the test's), with names apart. */
async function freshStream(maxMsgSize = -1): Promise<{ stream: string; prefix: string }> {
  streams += 1;
  const names = { stream: `REPAIR${streams}`, prefix: `repair${streams}` };
  await jsm.streams.add({
    name: names.stream,
    subjects: [`${names.prefix}.>`],
    max_msg_size: maxMsgSize,
    duplicate_window: 120_000_000_000,
  });
  return names;
}

async function shippedSeqs(names: { stream: string; prefix: string }): Promise<number[]> {
  const seqs: number[] = [];
  for await (const { event } of readJetStream({ servers: server.url, ...names })) {
    seqs.push(event.seq);
  }
  return seqs;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** One tool call in its own capture `key` (so each call is a message of its own). */
function call(tracker: Tracker, key: string, args: Record<string, unknown>): void {
  tracker.beginCapture(key);
  const request = tracker.requestStarted(key);
  const toolCall = tracker.toolCallStarted({ request, toolName: 'send', args });
  tracker.toolCallResult(toolCall, { outcome: 'completed', isError: false, result: { ok: 1 } });
  tracker.toolCallFinished(toolCall);
  tracker.requestFinished(request, { status: 200 });
}

/** A virtual scheduler that notes the delay of everything scheduled on it. */
class RecordingScheduler extends VirtualTimeScheduler {
  readonly delays: number[] = [];
  override schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    this.delays.push(delay);
    return super.schedule(work, delay, state);
  }
}

/** Run the virtual scheduler's due actions until `done` holds (the I/O between is real). */
async function drive(scheduler: VirtualTimeScheduler, done: () => boolean): Promise<void> {
  await expect
    .poll(
      () => {
        scheduler.flush();
        return done();
      },
      { timeout: 15_000 },
    )
    .toBe(true);
}

describe('shipToJetStream when JetStream refuses a message', () => {
  it('leaves no hole: what was stored after a refused message is removed, and all lands once it is taken', async () => {
    const names = await freshStream(4096);
    const scheduler = new VirtualTimeScheduler();
    const errors: Error[] = [];
    const shipper: Shipper = await shipToJetStream({
      servers: server.url,
      host: 'host-r',
      spool: join(dir, 'refused'),
      scheduler,
      onError: (error) => errors.push(error),
      ...names,
    });
    const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
    // Appended before the first connect: the refused message goes out with later ones behind it.
    for (let i = 0; i < 4; i++) call(tracker, `small ${i}`, { i });
    const bigFrom = shipper.stats().appended + 1;
    call(tracker, 'big', { blob: 'x'.repeat(6000) });
    for (let i = 4; i < 12; i++) call(tracker, `small ${i}`, { i });
    const appended = shipper.stats().appended;

    await drive(scheduler, () => shipper.stats().repairs >= 1);
    const refused = errors.find((error) => /did not store seqs/.test(error.message));
    expect(refused?.message).toMatch(
      /more than the stream or server takes .*raise the stream's max_msg_size/,
    );
    expect(errors.map((error) => error.message)).toContainEqual(
      expect.stringMatching(/was not stored while later ones were: removed the \d+ message/),
    );
    // The stream holds the log up to the refused event's message, and nothing past it.
    const stored = await shippedSeqs(names);
    expect(stored).toEqual(upTo(stored.length));
    expect(stored.length).toBeGreaterThanOrEqual(bigFrom - 1);
    expect(stored.length).toBeLessThan(bigFrom + 3);
    expect(shipper.stats().acknowledged).toBeLessThan(appended);

    // The operator raises the limit: the next attempt stores everything, once, in order.
    const info = await jsm.streams.info(names.stream);
    await jsm.streams.update(names.stream, { ...info.config, max_msg_size: 1024 * 1024 });
    await drive(scheduler, () => shipper.stats().acknowledged === appended);
    expect(await shippedSeqs(names)).toEqual(upTo(appended));
    const closing = shipper.close();
    scheduler.flush();
    await closing;
  }, 30_000);

  it('Seen: a message whose id the dedupe window remembered from a removed message was taken as stored', async () => {
    const names = await freshStream();
    // A crashed run's message 1, removed by its repair before the crash: the id stays in the
    // dedupe window, the message is gone.
    const nc = await connect({ servers: server.url });
    const { headers } = await import('@nats-io/transport-node');
    const h = headers();
    h.set(SEQ_HEADER, '1-1');
    const ack = await jetstream(nc).publish(`${names.prefix}.host-d.log-d.~`, '{}\n', {
      msgID: messageId('host-d', 'log-d', 1),
      headers: h,
    });
    await jsm.streams.deleteMessage(names.stream, ack.seq, false);
    await nc.close();

    const shipper = await shipToJetStream({
      servers: server.url,
      host: 'host-d',
      log: 'log-d',
      spool: join(dir, 'dedupe'),
      ...names,
    });
    const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
    for (let i = 0; i < 3; i++) call(tracker, `c ${i}`, { i });
    await shipper.flushed();
    const appended = shipper.stats().appended;
    await shipper.close();
    expect(await shippedSeqs(names)).toEqual(upTo(appended));
  }, 30_000);
});

describe('shipToJetStream on an injected scheduler', () => {
  it('backs off 100 ms to 5 s between connects, and close waits its deadline on that clock', async () => {
    const nats = await startNatsServer();
    try {
      await nats.kill();
      const virtual = new RecordingScheduler();
      const delays = virtual.delays;
      const errors: Error[] = [];
      const shipper = await shipToJetStream({
        servers: nats.url,
        host: 'host-v',
        spool: join(dir, 'virtual'),
        scheduler: virtual,
        onError: (error) => errors.push(error),
        ...(await freshStream()),
      });
      call(createTracker({ store: shipper.store, ids: sequentialIds() }), 'c', {});
      // Each failed connect waits on the virtual clock, longer each time, up to 5 s.
      for (let attempt = 1; attempt <= 8; attempt++) {
        await expect.poll(() => delays.length).toBe(attempt);
        virtual.flush();
      }
      expect(delays).toEqual([100, 250, 500, 1000, 2000, 5000, 5000, 5000]);
      expect(errors[0]?.message).toMatch(/could not connect to NATS/);
      // NATS stays down: close gives up after its deadline, on the same clock.
      const closing = shipper.close(60_000);
      await expect.poll(() => delays.includes(60_000)).toBe(true);
      virtual.flush();
      await closing;
      expect(shipper.stats().pending).toBeGreaterThan(0);
    } finally {
      await nats.stop();
    }
  }, 30_000);
});

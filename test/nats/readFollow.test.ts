// A following reader (what `toolflight inspect nats://…` runs) across a NATS outage: it goes on
// where it left off once the server is back, missing nothing and repeating nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { createTracker, sequentialIds, type Tracker } from '../../src/index.js';
import { readJetStream, shipToJetStream } from '../../src/nats/index.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

let nats: NatsServer;
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'toolflight-follow-'));
}, 30_000);

afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function calls(tracker: Tracker, count: number): void {
  for (let i = 0; i < count; i++) {
    const key = `run-${i % 2}`;
    tracker.beginCapture(key);
    const request = tracker.requestStarted(key);
    tracker.requestFinished(request, { status: 200 });
  }
}

it('goes on across a SIGKILL and restart of nats-server: nothing missed, nothing twice', async () => {
  const names = { stream: 'FOLLOW', prefix: 'follow' };
  const shipper = await shipToJetStream({
    servers: nats.url,
    host: 'host-f',
    spool: join(dir, 'spool'),
    ...names,
  });
  const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
  calls(tracker, 100);
  await shipper.flushed();

  const abort = new AbortController();
  const seen: number[] = [];
  const reading = (async () => {
    for await (const { event } of readJetStream({
      servers: nats.url,
      ...names,
      follow: true,
      signal: abort.signal,
    })) {
      seen.push(event.seq);
    }
  })();
  const before = shipper.stats().appended;
  await expect.poll(() => seen.length).toBe(before);

  await nats.kill('SIGKILL');
  calls(tracker, 100); // tracked while NATS is gone: waits in the spool
  await nats.restart();
  await expect.poll(() => shipper.stats().pending, { timeout: 20_000 }).toBe(0);
  const appended = shipper.stats().appended;
  expect(appended).toBeGreaterThan(before);
  await expect.poll(() => seen.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(appended);
  abort.abort();
  await reading;
  await shipper.close();
  expect(seen).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
}, 60_000);

it('Seen: a following read ended silently, as if done, when the client gave up reconnecting', async () => {
  const gone = await startNatsServer();
  const names = { stream: 'GONE', prefix: 'gone' };
  const shipper = await shipToJetStream({
    servers: gone.url,
    host: 'host-g',
    spool: join(dir, 'gone'),
    ...names,
  });
  calls(createTracker({ store: shipper.store, ids: sequentialIds() }), 10);
  await shipper.flushed();
  await shipper.close();
  const seen: number[] = [];
  const reading = (async () => {
    for await (const { event } of readJetStream({
      servers: gone.url,
      connection: { maxReconnectAttempts: 2, reconnectTimeWait: 50 },
      ...names,
      follow: true,
    })) {
      seen.push(event.seq);
    }
  })();
  await expect.poll(() => seen.length).toBe(shipper.stats().appended);
  await gone.stop();
  await expect(reading).rejects.toThrow(
    /the connection to NATS at .* was lost and not regained, so the read of GONE stopped after stream seq \d+: read again with startAfter/,
  );
}, 60_000);

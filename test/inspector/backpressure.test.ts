// Issue 14 §3: the inspector's SSE ignored backpressure. One paused page grew the heap by 180 MB
// over 200,000 events of 1 KB, five paused pages by 227 MB over 50,000: every event waited in
// the socket's buffer of a client that did not read. Now what waits for one client is bounded;
// a client past the bound is dropped, and resumes exactly with Last-Event-ID. These tests use
// real paused clients (their sockets stop reading) and assert on the server's own counters.
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker, type Tracker } from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';

const open: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

/** An SSE client that records the seq of every event it parsed, and can stop reading. */
interface Client {
  readonly seqs: number[];
  /** Resolves once an event with `seq` (or a later one) was parsed. */
  readonly reached: (seq: number) => Promise<void>;
  /** Stop reading: the socket's buffers fill, then the server's. */
  readonly pause: () => void;
  /** Read again. */
  readonly resume: () => void;
  readonly close: () => void;
}

async function client(inspector: Inspector, headers: Record<string, string> = {}): Promise<Client> {
  const req = request(`${inspector.origin}/events?token=${inspector.token}`, { headers });
  req.on('error', () => undefined);
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  expect(res.statusCode).toBe(200);
  const seqs: number[] = [];
  const waiters: { seq: number; resolve: () => void }[] = [];
  let buffer = '';
  res.setEncoding('utf8');
  res.on('error', () => undefined);
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith('event:')) continue; // live, gap: no events
      for (const line of block.split('\n')) {
        if (line.startsWith('data: '))
          seqs.push((JSON.parse(line.slice(6)) as { seq: number }).seq);
      }
    }
    const last = seqs.at(-1) ?? 0;
    for (const waiter of waiters.filter((w) => w.seq <= last)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const handle: Client = {
    seqs,
    reached: (seq) =>
      (seqs.at(-1) ?? 0) >= seq
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ seq, resolve })),
    pause: () => {
      res.pause();
      res.socket.pause();
    },
    resume: () => {
      res.socket.resume();
      res.resume();
    },
    close: () => req.destroy(),
  };
  open.push(handle);
  return handle;
}

const blob = 'x'.repeat(1000);
/** One event of about 1 KB. */
const append = (tracker: Tracker): void => void tracker.note('context.changed', { blob });

/** Resolves after one turn of the event loop, so sockets can move. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function start(maxBufferedBytes: number) {
  const tracker = createTracker({ store: createMemoryStore() });
  const inspector = await createInspector({ tracker }, { limits: { maxBufferedBytes } });
  open.push(inspector);
  return { tracker, inspector };
}

/** Resolves once the inspector counts `n` open streams. */
async function streams(inspector: Inspector, n: number): Promise<void> {
  for (let i = 0; inspector.stats().streams !== n; i++) {
    if (i > 100_000) throw new Error(`expected ${n} streams`);
    await turn();
  }
}

const every = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('inspector: a client that falls behind its event stream', () => {
  it('is dropped once more than maxBufferedBytes wait for it, while a reading client keeps up (regression: one paused page grew the heap by 180 MB over 200,000 events)', async () => {
    const bound = 64 * 1024;
    const { tracker, inspector } = await start(bound);
    append(tracker);
    const paused = await client(inspector);
    const reading = await client(inspector);
    await Promise.all([paused.reached(1), reading.reached(1)]);
    paused.pause();
    let most = 0;
    // 20 events (20 KB) a turn, which a reading client takes; the kernel's socket buffers take
    // a few MB of the paused one's before Node's buffer grows.
    for (let batch = 0; inspector.stats().droppedStreams === 0; batch++) {
      if (batch > 10_000) throw new Error('the paused client was never dropped');
      for (let i = 0; i < 20; i++) {
        append(tracker);
        most = Math.max(most, inspector.stats().bufferedBytes);
      }
      await turn();
    }
    // What waited never passed the bound by more than a frame, for each of the two clients.
    expect(most).toBeLessThanOrEqual(2 * (bound + 2048));
    expect(inspector.stats().droppedStreams).toBe(1);
    await streams(inspector, 1);
    const last = tracker.store.lastSeq();
    await reading.reached(last);
    expect(reading.seqs).toEqual(every(1, last));
    expect(last).toBeGreaterThan(100);
  });

  it('resumes with Last-Event-ID after being dropped: every later event exactly once', async () => {
    const { tracker, inspector } = await start(64 * 1024);
    append(tracker);
    const paused = await client(inspector);
    await paused.reached(1);
    paused.pause();
    for (let batch = 0; inspector.stats().droppedStreams === 0; batch++) {
      if (batch > 10_000) throw new Error('the paused client was never dropped');
      for (let i = 0; i < 20; i++) append(tracker);
      await turn();
    }
    paused.close();
    const had = paused.seqs.at(-1)!;

    const resumed = await client(inspector, { 'Last-Event-ID': String(had) });
    // Live events while it catches up, and after.
    for (let i = 0; i < 50; i++) {
      append(tracker);
      if (i % 10 === 0) await turn();
    }
    expect(inspector.stats().droppedStreams).toBe(1);
    const last = tracker.store.lastSeq();
    await resumed.reached(last);
    expect([...paused.seqs, ...resumed.seqs]).toEqual(every(1, last));
  });

  it('writes a long history as the client takes it: paused, it holds one message, then gets all of it once', async () => {
    const bound = 256 * 1024;
    const { tracker, inspector } = await start(bound);
    // More than the kernel's socket buffers hold, so the server must wait for the client.
    for (let i = 0; i < 16_000; i++) append(tracker);
    const slow = await client(inspector);
    slow.pause();
    for (let i = 0; inspector.stats().bufferedBytes === 0; i++) {
      if (i > 100_000) throw new Error('the server never had to wait for the client');
      await turn();
    }
    // It waits for the client to take the last message (at most 64 KiB) before the next one.
    expect(inspector.stats().bufferedBytes).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(inspector.stats().droppedStreams).toBe(0);
    slow.resume();
    await slow.reached(16_000);
    expect(slow.seqs).toEqual(every(1, 16_000));
  });
});

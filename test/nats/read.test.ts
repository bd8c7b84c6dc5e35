// Reading a stream back: 20 hosts x 50,000 events merged in time order and each host verified
// on its own; a following reader that stops and resumes misses nothing and repeats nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  sequentialIds,
  type ToolflightEvent,
} from '../../src/index.js';
import { createLogChecker } from '../../src/replay/index.js';
import { readFleet, readJetStream, shipToJetStream } from '../../src/nats/index.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

let server: NatsServer;
let dir: string;

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'toolflight-read-'));
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A host's log of `count` events: 4 runs taking turns, one tool call a turn. */
function hostLog(count: number, start: number, step: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = start;
  const tracker = createTracker({ store, ids: sequentialIds(), clock: () => (now += step) });
  for (let i = 0; i < 4; i++) tracker.beginCapture(`run-${i}`);
  for (let i = 0; store.lastSeq() < count; i++) {
    const request = tracker.requestStarted(`run-${i % 4}`);
    const call = tracker.toolCallStarted({ request, toolName: 'send', args: { i } });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
  }
  return store.events().slice(0, count);
}

async function ship(
  stream: string,
  host: string,
  events: readonly ToolflightEvent[],
): Promise<void> {
  const shipper = await shipToJetStream({
    servers: server.url,
    host,
    spool: join(dir, `${stream}-${host}`),
    stream,
    prefix: stream.toLowerCase(), // streams may not share subjects
    log: 'log-1',
  });
  for (const event of events) shipper.store.append(event);
  await shipper.close(60_000);
}

it('merges 20 hosts x 50,000 events in time order, each host verified on its own', async () => {
  const HOSTS = 20;
  const EVENTS = 50_000;
  // Clocks apart: each host ticks at its own pace, from its own start.
  for (let h = 0; h < HOSTS; h++)
    await ship('MERGED', `host-${h}`, hostLog(EVENTS, h * 7, 3 + (h % 5)));
  const checkers = new Map<string, ReturnType<typeof createLogChecker>>();
  const last = new Map<string, number>();
  let previousAt = -Infinity;
  let count = 0;
  let violations = 0;
  // Counted, not asserted one by one: a million expect() calls cost more than the read.
  let backInTime = 0;
  let outOfSeq = 0;
  for await (const { host, event } of readFleet({
    servers: server.url,
    stream: 'MERGED',
    prefix: 'merged',
  })) {
    if (event.at < previousAt) backInTime += 1;
    previousAt = event.at;
    let checker = checkers.get(host);
    if (!checker) checkers.set(host, (checker = createLogChecker()));
    violations += checker.apply(event).length;
    if (event.seq !== (last.get(host) ?? 0) + 1) outOfSeq += 1;
    last.set(host, event.seq);
    count += 1;
  }
  expect({ count, violations, backInTime, outOfSeq, hosts: checkers.size }).toEqual({
    count: HOSTS * EVENTS,
    violations: 0,
    backInTime: 0,
    outOfSeq: 0,
    hosts: HOSTS,
  });
}, 180_000);

it('Seen: a second stream under the same prefix could not be created, and said so only as a bare overlap error', async () => {
  const errors: Error[] = [];
  const shipper = await shipToJetStream({
    servers: server.url,
    host: 'h',
    spool: join(dir, 'overlap'),
    stream: 'OVERLAP',
    prefix: 'merged', // MERGED, above, takes merged.>
    onError: (error) => errors.push(error),
  });
  await expect.poll(() => errors.length).toBeGreaterThan(0);
  expect(errors[0]!.message).toMatch(
    /could not create the stream OVERLAP with subjects merged\.> \(.*overlap.*\): when another stream takes those subjects, ship to that stream or pass another prefix/,
  );
  await shipper.close(0);
});

it('resumes a following reader after the last stream seq it saw: nothing missed, nothing twice', async () => {
  const log = hostLog(3000, 0, 1);
  await ship('RESUME', 'host-a', log.slice(0, 1500));
  const seen: number[] = [];
  let lastStreamSeq = 0;
  // Stop in the middle: the events seen so far, and the stream seq of the last one.
  for await (const { event, streamSeq } of readJetStream({
    servers: server.url,
    stream: 'RESUME',
    prefix: 'resume',
    follow: true,
  })) {
    seen.push(event.seq);
    lastStreamSeq = streamSeq;
    if (seen.length === 700) break;
  }
  // More is shipped while nobody reads (a new log of the same host: the first one is closed).
  await ship('RESUME', 'host-b', log.slice(0, 1500));
  const abort = new AbortController();
  const resumed: string[] = [];
  // A message holds several events: start at the last message seen and skip what was seen of it.
  for await (const { host, event } of readJetStream({
    servers: server.url,
    stream: 'RESUME',
    prefix: 'resume',
    follow: true,
    startAfter: lastStreamSeq - 1,
    signal: abort.signal,
  })) {
    if (host === 'host-a' && event.seq <= seen.at(-1)!) continue;
    resumed.push(`${host} ${event.seq}`);
    if (resumed.length === 3000 - 700) abort.abort();
  }
  expect(seen).toEqual(Array.from({ length: 700 }, (_, i) => i + 1));
  expect(resumed).toEqual([
    ...Array.from({ length: 800 }, (_, i) => `host-a ${701 + i}`),
    ...Array.from({ length: 1500 }, (_, i) => `host-b ${i + 1}`),
  ]);
}, 60_000);

it('reports messages that are not shipped ones with their stream seq, and reads the rest', async () => {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const { headers } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'HOSTILE', subjects: ['hostile.>'] });
  const js = jetstream(nc);
  const good = hostLog(3, 0, 1);
  const line = (seq: number) => `${JSON.stringify({ ...good[seq - 1] })}\n`;
  const publish = async (subject: string, payload: string | Uint8Array, seq?: string) => {
    const h = headers();
    if (seq !== undefined) h.set('Toolflight-Seq', seq);
    await js.publish(subject, payload, { headers: h });
  };
  const capture = encodeURIComponent(good[0]!.capture!).replace(/%/g, '~');
  await publish(`hostile.h.l.${capture}`, line(1), '1-1'); // stream seq 1: good
  await publish('hostile.h.l', line(2), '2-2'); // 2: not a shipped subject (too few tokens)
  await publish(`hostile.h.l.${capture}`, line(2)); // 3: no seq header
  await publish(`hostile.h.l.${capture}`, line(2), '2-3'); // 4: one line, two seqs said
  await publish(`hostile.h.l.${capture}`, new Uint8Array([0xff, 0xfe, 0x0a]), '2-2'); // 5: not UTF-8
  await publish(`hostile.h.l.${capture}`, '{"v":1}\n', '2-2'); // 6: not an event
  await publish(`hostile.h.l.${capture}`, line(3), '2-2'); // 7: seq 3 where 2 was said
  await publish(`hostile.h.l.~41`, line(2), '2-2'); // 8: a non-canonical token
  await nc.close();
  const problems: { line: number; message: string }[] = [];
  const read: number[] = [];
  for await (const { event } of readJetStream({
    servers: server.url,
    stream: 'HOSTILE',
    prefix: 'hostile',
    onProblem: (problem) => problems.push(problem),
  })) {
    read.push(event.seq);
  }
  expect(read).toEqual([1]);
  expect(problems.map((problem) => problem.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  for (const problem of problems)
    expect(problem.message).toMatch(/^nats:\/\/127\.0\.0\.1:\d+\/HOSTILE:\d+: /);
  // Without onProblem, the first one throws with where it was.
  await expect(async () => {
    for await (const shipped of readJetStream({
      servers: server.url,
      stream: 'HOSTILE',
      prefix: 'hostile',
    }))
      void shipped;
  }).rejects.toThrow(/HOSTILE:2: subject "hostile\.h\.l" is not hostile\.<host>\.<log>\.<capture>/);
});

it('ends a read whose filter matches nothing, and one that starts after the filter last message', async () => {
  await ship('NOMATCH', 'host-0', hostLog(50, 0, 1));
  const read: unknown[] = [];
  for await (const shipped of readJetStream({
    servers: server.url,
    stream: 'NOMATCH',
    prefix: 'nomatch',
    filter: { host: 'nobody' },
  })) {
    read.push(shipped);
  }
  expect(read).toEqual([]);
  // And one that starts after the filter's last message ends at once too.
  for await (const shipped of readJetStream({
    servers: server.url,
    stream: 'NOMATCH',
    prefix: 'nomatch',
    filter: { host: 'host-0' },
    startAfter: 1e9,
  })) {
    read.push(shipped);
  }
  expect(read).toEqual([]);
}, 20_000);

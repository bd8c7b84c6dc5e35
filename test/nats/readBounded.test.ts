// Reading what the shipper did not write as it should, and reading without holding a late
// host's log: a merge that waits on a host has one batch of it pulled, not all of it; a message
// on a subject of the wrong shape under the prefix is reported with its stream seq.
import { afterAll, beforeAll, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  sequentialIds,
  type ToolflightEvent,
} from '../../src/index.js';
import { readFleet, readJetStream } from '../../src/nats/index.js';
import { batchPayload, seqHeader } from '../../src/nats/shippedMessage.js';
import { eventSubject } from '../../src/nats/subjects.js';
import type { RecordingProblem } from '../../src/store/recordingProblem.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer();
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

/** A host's log of `count` events, the clock ticking by 1 from `start`. */
function hostLog(count: number, start: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = start;
  const tracker = createTracker({ store, ids: sequentialIds(), clock: () => (now += 1) });
  tracker.beginCapture('run-0');
  while (store.lastSeq() < count) {
    const request = tracker.requestStarted('run-0');
    tracker.requestFinished(request, { status: 200 });
  }
  return store.events().slice(0, count);
}

/** A stream of `prefix.>` on its own connection, and a way to publish one message an event. */
async function openStream(stream: string, prefix: string) {
  const { connect, headers } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  const js = jetstream(nc);
  const publish = (subject: string, payload: Uint8Array | string, seq?: string) => {
    const h = headers();
    if (seq !== undefined) h.set('Toolflight-Seq', seq);
    return js.publish(subject, payload, { headers: h });
  };
  /** Each event in a message of its own, in order. */
  const publishLog = async (host: string, events: readonly ToolflightEvent[]) => {
    for (let i = 0; i < events.length; i += 500) {
      await Promise.all(
        events
          .slice(i, i + 500)
          .map((event) =>
            publish(
              eventSubject(prefix, host, 'log-1', event.capture),
              batchPayload([encodeEvent(event)]),
              seqHeader(event.seq, event.seq),
            ),
          ),
      );
    }
  };
  return { nc, jsm, publish, publishLog };
}

// The consume() this replaced was bounded too (its re-pulls wait in its iterator's queue): this
// pins the bound, it does not reproduce an overflow.
it('has one batch of a late host pulled while the merge waits on it, and nothing after', async () => {
  const EARLY = 3000;
  const LATE = 5000;
  const BATCH = 1000; // the reader's fetch size
  const { nc, jsm, publishLog } = await openStream('BOUNDED', 'bounded');
  await publishLog('early', hostLog(EARLY, 0)); // stream seqs 1 to 3000
  await publishLog('late', hostLog(LATE, 10_000_000)); // 3001 to 8000, all after early's
  const lateConsumer = async () => {
    for await (const info of jsm.consumers.list('BOUNDED')) {
      if (info.config.filter_subject?.startsWith('bounded.late.')) return info;
    }
    return undefined;
  };
  const read = { early: 0, late: 0 };
  let heldAhead = -1;
  for await (const { host } of readFleet({
    servers: server.url,
    stream: 'BOUNDED',
    prefix: 'bounded',
  })) {
    if (host === 'early') {
      read.early += 1;
      if (read.early === EARLY) {
        // Every early event is taken; the late host's first is the merge's head. Its first
        // batch has come whole, and nothing after it was pulled.
        await expect
          .poll(async () => (await lateConsumer())?.delivered.stream_seq ?? 0)
          .toBeGreaterThanOrEqual(EARLY + BATCH);
        heldAhead = (await lateConsumer())!.delivered.stream_seq - EARLY;
      }
    } else {
      read.late += 1;
    }
  }
  await nc.close();
  expect({ ...read, heldAhead }).toEqual({ early: EARLY, late: LATE, heldAhead: BATCH });
}, 60_000);

it('reports a message on a wrong-shape subject under the prefix with its stream seq, and reads the rest', async () => {
  const { nc, publish, publishLog } = await openStream('SHAPES', 'shapes');
  const good = hostLog(3, 0);
  await publishLog('a', good.slice(0, 1)); // stream seq 1
  await publish('shapes.a.log-1', batchPayload([encodeEvent(good[1]!)]), '2-2'); // 2: too short
  await publishLog('a', good.slice(1, 2)); // 3
  await publish('shapes.a.log-1.run-0.x', batchPayload([encodeEvent(good[1]!)]), '2-2'); // 4: too long
  await publishLog('a', good.slice(2)); // 5
  await nc.close();
  for (const filter of [undefined, { host: 'a' }]) {
    const problems: RecordingProblem[] = [];
    const read: number[] = [];
    for await (const { event, streamSeq } of readJetStream({
      servers: server.url,
      stream: 'SHAPES',
      prefix: 'shapes',
      ...(filter && { filter }),
      onProblem: (problem) => problems.push(problem),
    })) {
      read.push(streamSeq);
      expect(event.seq).toBe(read.length);
    }
    expect({ read, problems: problems.map((problem) => problem.line) }).toEqual({
      read: [1, 3, 5],
      problems: [2, 4],
    });
    expect(problems[0]!.message).toMatch(
      /SHAPES:2: subject "shapes\.a\.log-1" is not shapes\.<host>\.<log>\.<capture>$/,
    );
    expect(problems[1]!.message).toMatch(/SHAPES:4: subject "shapes\.a\.log-1\.run-0\.x" is not/);
  }
});

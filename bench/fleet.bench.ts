// Shipping a host's log to NATS JetStream, against a bare @nats-io/jetstream loop publishing the
// same events one message each with pipelined acknowledgements, in the same run, on the same
// real nats-server (Debian's, JetStream on a temp folder); then the lag from an append on a host
// to a consumer seeing it at 10k events/s, and 20 hosts read back from the stream and merged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  replay,
  sequentialIds,
  type ToolflightEvent,
} from '../dist/src/index.js';
import { readFleet, readJetStream, shipToJetStream } from '../dist/src/nats/index.js';
import { startNatsServer, type NatsServer } from '../test/support/natsServer.js';
import { fmt, median, percentile, type Bench } from './harness.js';
import { lifecycle } from './workload.js';

/** Events shipped per throughput round. */
const EVENTS = 60_000;
const ROUNDS = 3;
/** The bare loop's publishes in flight: as many as the shipper's default window. */
const BARE_WINDOW = 64;
const LAG_RATE = 10_000;
const LAG_SECONDS = 3;
const HOSTS = 20;
const HOST_EVENTS = 10_000;

/** A host's log: 8 agent runs taking turns, one tool call each turn (7 events a call). */
function hostLog(count: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ store, ids: sequentialIds(), clock: () => (now += 1) });
  const keys = Array.from({ length: 8 }, (_, i) => `run-${i}`);
  for (const key of keys) tracker.beginCapture(key);
  for (let i = 0; store.lastSeq() < count; i++) lifecycle(tracker, keys[i % keys.length]!);
  return store.events().slice(0, count);
}

async function purge(server: NatsServer): Promise<void> {
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
  await nc.close();
}

/** Events per second of the bare loop: one message per event, `BARE_WINDOW` acks pipelined. */
async function bare(server: NatsServer, events: readonly ToolflightEvent[]): Promise<number> {
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BARE', subjects: ['bare.>'] });
  const js = jetstream(nc);
  const lines = events.map((event) => encodeEvent(event));
  const start = performance.now();
  const window = new Set<Promise<unknown>>();
  for (let i = 0; i < events.length; i++) {
    const capture = events[i]!.capture ?? '~';
    const ack = js.publish(`bare.h.${capture}`, lines[i], { msgID: `h.${i + 1}` });
    window.add(ack);
    void ack.finally(() => window.delete(ack));
    if (window.size >= BARE_WINDOW) await Promise.race(window);
  }
  await Promise.all(window);
  const seconds = (performance.now() - start) / 1000;
  await nc.close();
  return events.length / seconds;
}

/** Events per second through a shipper: spool append, batching, publishing, every ack. */
async function shipped(server: NatsServer, events: readonly ToolflightEvent[]): Promise<number> {
  const spool = mkdtempSync(join(tmpdir(), 'toolflight-bench-spool-'));
  try {
    const shipper = await shipToJetStream({ servers: server.url, host: 'bench', spool });
    const start = performance.now();
    for (const event of events) shipper.store.append(event);
    await shipper.flushed();
    const seconds = (performance.now() - start) / 1000;
    await shipper.close();
    return events.length / seconds;
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
}

/** Milliseconds from an append to a following reader seeing the event, at `LAG_RATE`/s. */
async function lag(server: NatsServer, events: readonly ToolflightEvent[]): Promise<number[]> {
  const spool = mkdtempSync(join(tmpdir(), 'toolflight-bench-lag-'));
  const shipper = await shipToJetStream({ servers: server.url, host: 'lag', spool });
  // The reader needs the stream, which the shipper creates once it connects.
  while (!shipper.stats().connected) await new Promise((resolve) => setTimeout(resolve, 10));
  const appended = new Float64Array(events.length + 1);
  const seen: number[] = [];
  const abort = new AbortController();
  const reading = (async () => {
    for await (const { event } of readJetStream({
      servers: server.url,
      filter: { host: 'lag' },
      follow: true,
      signal: abort.signal,
    })) {
      seen.push(performance.now() - appended[event.seq]!);
      if (event.seq === events.length) break;
    }
  })();
  const start = performance.now();
  let next = 0;
  // Paced by the clock: every turn appends what is due at LAG_RATE.
  while (next < events.length) {
    const due = Math.min(
      events.length,
      Math.floor(((performance.now() - start) / 1000) * LAG_RATE),
    );
    for (; next < due; next++) {
      appended[events[next]!.seq] = performance.now();
      shipper.store.append(events[next]!);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await reading;
  abort.abort();
  await shipper.close();
  rmSync(spool, { recursive: true, force: true });
  return seen;
}

/** Events per second of 20 hosts' logs read back from the stream, merged and verified. */
async function mergedReplay(server: NatsServer): Promise<{ rate: number; events: number }> {
  const log = hostLog(HOST_EVENTS);
  for (let h = 0; h < HOSTS; h++) {
    const spool = mkdtempSync(join(tmpdir(), 'toolflight-bench-host-'));
    const shipper = await shipToJetStream({ servers: server.url, host: `host-${h}`, spool });
    for (const event of log) shipper.store.append(event);
    await shipper.flushed();
    await shipper.close();
    rmSync(spool, { recursive: true, force: true });
  }
  const start = performance.now();
  const bySource = new Map<string, ToolflightEvent[]>();
  let count = 0;
  for await (const { host, log: id, event } of readFleet({ servers: server.url })) {
    const key = `${host}/${id}`;
    let list = bySource.get(key);
    if (!list) bySource.set(key, (list = []));
    list.push(event);
    count += 1;
  }
  for (const list of bySource.values()) {
    const result = replay(list);
    if (result.violationCount > 0) throw new Error('a shipped log did not verify');
  }
  const seconds = (performance.now() - start) / 1000;
  return { rate: count / seconds, events: count };
}

const fleet: Bench = {
  name: 'fleet',
  description:
    'a host log shipped to JetStream (spool included) vs a bare pipelined publish per event; lag at 10k events/s; 20 hosts merged back',
  async run(log) {
    const server = await startNatsServer();
    try {
      const events = hostLog(EVENTS);
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which goes first, so a warm server favours neither.
        const order =
          round % 2 === 0 ? (['bare', 'shipped'] as const) : (['shipped', 'bare'] as const);
        const rates: Record<string, number> = {};
        for (const which of order) {
          await purge(server);
          rates[which] =
            which === 'bare' ? await bare(server, events) : await shipped(server, events);
        }
        ratios.push(rates.shipped! / rates.bare!);
        log(
          `round ${round + 1}: toolflight ${fmt(rates.shipped!)} events/s, bare JetStream ${fmt(rates.bare!)} events/s, ratio ${ratios[round]!.toFixed(2)}x`,
        );
      }
      await purge(server);
      const lags = await lag(server, hostLog(LAG_RATE * LAG_SECONDS));
      const p50 = percentile(lags, 0.5);
      const p99 = percentile(lags, 0.99);
      log(
        `lag at ${fmt(LAG_RATE)} events/s over ${LAG_SECONDS} s: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
      );
      await purge(server);
      const merged = await mergedReplay(server);
      log(
        `${HOSTS} hosts x ${fmt(HOST_EVENTS)} events read back, merged and verified: ${fmt(merged.rate)} events/s`,
      );
      return [
        {
          metric: 'publish_ratio_vs_bare_jetstream',
          value: Number(median(ratios).toFixed(2)),
          unit: 'x',
          target: '>= 3',
        },
        { metric: 'lag_p99_ms', value: Number(p99.toFixed(2)), unit: 'ms', target: 'report' },
        {
          metric: 'merged_replay_events_per_s',
          value: Math.round(merged.rate),
          unit: 'events/s',
          target: 'report',
        },
      ];
    } finally {
      await server.stop();
    }
  },
};

export default fleet;

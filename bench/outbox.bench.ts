// The outbox's durable enqueue against a bare better-sqlite3 INSERT of the same row into a table
// with the same pragmas (WAL, synchronous=FULL), in the same run, order rotated across rounds;
// and drain throughput: a proxy started on a filled outbox delivering to a real local SDK
// upstream over Streamable HTTP (the test fixture, in this process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { createTracker } from '../dist/src/index.js';
import { createProxy, openOutbox } from '../dist/src/mcp/index.js';
import { startWriteUpstream } from '../test/fixtures/outbox/writeUpstream.js';
import { fmt, median, percentile, rotate, type Bench } from './harness.js';

const WRITES = 400;
const ROUNDS = 4;
const DRAIN = 1000;

type Target = 'outbox' | 'bare';

const argsOf = (i: number, key: string) => ({
  to: '#ops',
  text: `message ${i}`,
  idempotencyKey: key,
});

/** Microseconds of each of `WRITES` durable writes into a fresh file of `target`. */
function round(target: Target, dir: string, index: number): number[] {
  const path = join(dir, `${target}-${index}.db`);
  const times: number[] = [];
  const time = (body: () => void) => {
    const start = process.hrtime.bigint();
    body();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  };
  if (target === 'outbox') {
    const outbox = openOutbox(path);
    for (let i = 0; i < WRITES; i++) {
      const key = `k${index}-${i}`;
      time(() => outbox.enqueue({ key, tool: 'send', args: argsOf(i, key), now: Date.now() }));
    }
    outbox.close();
    return times;
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
    tool TEXT NOT NULL, args TEXT NOT NULL, enqueued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, next_attempt_at INTEGER NOT NULL)`);
  const insert = db.prepare(
    'INSERT INTO pending (key, tool, args, enqueued_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)',
  );
  for (let i = 0; i < WRITES; i++) {
    const key = `k${index}-${i}`;
    time(() => {
      const now = Date.now();
      insert.run(key, 'send', JSON.stringify(argsOf(i, key)), now, now);
    });
  }
  db.close();
  return times;
}

/** Entries per second a proxy delivers from a filled outbox to a local SDK upstream. */
async function drain(dir: string): Promise<number> {
  const path = join(dir, 'drain.db');
  const outbox = openOutbox(path);
  for (let i = 0; i < DRAIN; i++) {
    const key = `d${i}`;
    const tool = i % 2 === 0 ? 'write_a' : 'write_b';
    outbox.enqueue({ key, tool, args: { writeId: key, idempotencyKey: key }, now: Date.now() });
  }
  outbox.close();
  const upstream = await startWriteUpstream();
  const tracker = createTracker();
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  tracker.store.subscribe((event) => {
    if (event.type === 'outbox.delivered' && ++delivered === DRAIN) done();
  });
  const start = process.hrtime.bigint();
  const proxy = await createProxy({ tracker, upstream: { url: upstream.url }, outbox: { path } });
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await proxy.close();
  await upstream.stop();
  return DRAIN / seconds;
}

const bench: Bench = {
  name: 'outbox',
  description: 'durable enqueue vs a bare synchronous=FULL insert of the same row; drain rate',
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-outbox-bench-'));
    try {
      const samples: Record<Target, number[]> = { outbox: [], bare: [] };
      const targets: Target[] = ['outbox', 'bare'];
      for (let r = 0; r < ROUNDS; r++) {
        for (const target of rotate(targets, r)) samples[target].push(...round(target, dir, r));
      }
      const p50 = (t: Target) => median(samples[t]);
      const p99 = (t: Target) => percentile(samples[t], 0.99);
      const ratio = p50('outbox') / p50('bare');
      for (const target of targets) {
        log(`${target.padEnd(7)} p50 ${fmt(p50(target))} µs  p99 ${fmt(p99(target))} µs`);
      }
      log(`enqueue / bare insert (p50): ${fmt(ratio, 2)}x (target <= 2)`);
      const perSecond = await drain(dir);
      log(
        `drain: ${fmt(perSecond)} entries/s through a proxy to a local SDK upstream over HTTP (${DRAIN} entries, one at a time)`,
      );
      return [
        {
          metric: 'enqueue_ratio_vs_bare_insert',
          value: Math.round(ratio * 100) / 100,
          unit: 'x',
          target: '<= 2',
        },
        { metric: 'enqueue_p50_us', value: Math.round(p50('outbox')), unit: 'µs', target: '' },
        { metric: 'enqueue_p99_us', value: Math.round(p99('outbox')), unit: 'µs', target: '' },
        { metric: 'drain_per_s', value: Math.round(perSecond), unit: 'entries/s', target: '' },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  replay,
  type ToolflightEvent,
} from '../dist/src/index.js';
import { createSqliteStore, readRecording } from '../dist/src/store/index.js';
import { fmt, type Bench } from './harness.js';
import { lifecycle } from './workload.js';

const EVENTS = 1_000_000;

/** About a million events of real lifecycles, interleaved over 50 captures. */
function recordEvents(): ToolflightEvent[] {
  const store = createMemoryStore();
  const tracker = createTracker({ store });
  for (let c = 0; c < 50; c++) tracker.beginCapture(`run-${c}`);
  for (let i = 0; store.lastSeq() < EVENTS - 7; i++) {
    lifecycle(tracker, `run-${i % 50}`, { to: '#ops', n: i });
  }
  return store.events();
}

/** Events per CPU second of `run`, which must fold `count` events. */
function throughput(count: number, run: () => number): number {
  const start = process.cpuUsage();
  const folded = run();
  const used = process.cpuUsage(start);
  if (folded !== count) throw new Error(`folded ${folded} of ${count} events`);
  return count / ((used.user + used.system) / 1e6);
}

/** The floor for any JSONL replay: read the file in chunks and JSON.parse each line, nothing else. */
function bareParse(path: string): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let filled = 0;
  let lines = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      filled += read;
      let start = 0;
      for (
        let end = buffer.indexOf(10, start);
        end !== -1 && end < filled;
        end = buffer.indexOf(10, start)
      ) {
        if ((JSON.parse(buffer.toString('utf8', start, end)) as { seq: number }).seq > 0) lines++;
        start = end + 1;
      }
      buffer.copy(buffer, 0, start, filled);
      filled -= start;
      if (read === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

const best = (runs: number, measure: () => number): number => {
  let top = 0;
  for (let i = 0; i < runs; i++) top = Math.max(top, measure());
  return top;
};

const replay_: Bench = {
  name: 'replay',
  description: 'replaying (folding and verifying) a million events from memory, JSONL and SQLite',
  run(log) {
    const events = recordEvents();
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-bench-'));
    try {
      const jsonl = join(dir, 'run.jsonl');
      const fd = openSync(jsonl, 'w');
      for (let i = 0; i < events.length; i += 10_000) {
        writeSync(
          fd,
          events
            .slice(i, i + 10_000)
            .map((e) => `${encodeEvent(e)}\n`)
            .join(''),
        );
      }
      closeSync(fd);
      const db = join(dir, 'run.db');
      const sqlite = createSqliteStore(db);
      for (const event of events) sqlite.append(event);
      sqlite.close();

      const count = events.length;
      const memory = best(3, () => throughput(count, () => replay(events).events));
      const fromJsonl = best(3, () => throughput(count, () => replay(readRecording(jsonl)).events));
      const parse = best(3, () => throughput(count, () => bareParse(jsonl)));
      const fromSqlite = best(2, () => throughput(count, () => replay(readRecording(db)).events));
      const ratio = fromJsonl / parse;
      log(`${fmt(count)} events (${fmt(count / 7)} lifecycles over 50 captures)`);
      log(`from memory   ${fmt(memory)} events/s (target >= 2,000,000)`);
      log(
        `from JSONL    ${fmt(fromJsonl)} events/s (target >= 400,000); bare JSON.parse loop ${fmt(parse)} events/s: ${fmt(ratio, 2)}x of it`,
      );
      log(`from SQLite   ${fmt(fromSqlite)} events/s`);
      return [
        {
          metric: 'memory_events_per_s',
          value: Math.round(memory),
          unit: 'events/s',
          target: '>= 2000000',
        },
        {
          metric: 'jsonl_events_per_s',
          value: Math.round(fromJsonl),
          unit: 'events/s',
          target: '>= 400000',
        },
        {
          metric: 'jsonl_ratio_vs_json_parse',
          value: Math.round(ratio * 100) / 100,
          unit: 'x',
          target: 'report',
        },
        {
          metric: 'sqlite_events_per_s',
          value: Math.round(fromSqlite),
          unit: 'events/s',
          target: 'report',
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default replay_;

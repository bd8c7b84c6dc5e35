import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createMemoryStore, createTracker, type EventStore } from '../dist/src/index.js';
import { createJsonlStore } from '../dist/src/store/index.js';
import { fmt, rate, type Bench } from './harness.js';
import { lifecycle } from './workload.js';

const LIFECYCLES = 50_000;

/** Lifecycles per second through a tracker appending to `store`. */
function round(store: EventStore): number {
  const tracker = createTracker({ store });
  tracker.beginCapture('run-1');
  const perSecond = rate(LIFECYCLES, () => lifecycle(tracker, 'run-1'));
  store.close();
  return perSecond;
}

const append: Bench = {
  name: 'append',
  description: 'live tracking into a JSONL recording vs into memory (7 events per lifecycle)',
  run(log) {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-bench-'));
    try {
      const memory: number[] = [];
      const jsonl: number[] = [];
      for (let i = 0; i < 5; i++) {
        memory.push(round(createMemoryStore()));
        jsonl.push(round(createJsonlStore(join(dir, `run-${i}.jsonl`))));
      }
      const memoryUs = 1e6 / Math.max(...memory) / 7;
      const jsonlUs = 1e6 / Math.max(...jsonl) / 7;
      const ratio = jsonlUs / memoryUs;
      log(`memory store  ${fmt(memoryUs, 2)} µs per event`);
      log(
        `JSONL store   ${fmt(jsonlUs, 2)} µs per event (one write(2) each, so a crash loses at most one event): ${fmt(ratio, 1)}x`,
      );
      return [
        {
          metric: 'jsonl_append_us_per_event',
          value: Math.round(jsonlUs * 100) / 100,
          unit: 'µs',
          target: 'report',
        },
        {
          metric: 'jsonl_ratio_vs_memory',
          value: Math.round(ratio * 10) / 10,
          unit: 'x',
          target: 'report',
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default append;

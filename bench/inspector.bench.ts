// The inspector page in Chromium over a 100,000-event recording: time to first render (page
// load, stream, fold, draw) and the p95 of scrubber moves (fold to the position, redraw, layout).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createMemoryStore, createTracker, encodeEvent } from '../dist/src/index.js';
import { createInspector } from '../dist/src/inspector/index.js';
import { launchChromium } from '../test/inspector/support.js';
import { fmt, median, percentile, type Bench } from './harness.js';

const EVENTS = 100_000;
const MOVES = 60;
const ROUNDS = 3;

/** A recording of about `EVENTS` events: tool calls in requests, a few in flight at a time. */
function recording(dir: string): { file: string; count: number } {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ store, clock: () => (now += 3) });
  tracker.beginCapture('bench');
  let i = 0;
  while (store.lastSeq() < EVENTS - 10) {
    const request = tracker.requestStarted('bench');
    tracker.requestClassified(request, { method: 'tools/call' });
    const call = tracker.toolCallStarted({
      request,
      toolName: ['search', 'deploy', 'send'][i % 3]!,
      args: { query: `q${i}`, token: 'secret' },
    });
    tracker.toolCallPrepared(call, { args: { query: `q${i}` } });
    tracker.toolCallResult(call, {
      outcome: i % 17 ? 'completed' : 'failed',
      isError: i % 17 === 0,
    });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
    i++;
  }
  const events = [...store.read()];
  const file = join(dir, 'bench.jsonl');
  writeFileSync(file, events.map((event) => `${encodeEvent(event)}\n`).join(''));
  return { file, count: events.length };
}

const inspector: Bench = {
  name: 'inspector',
  description: 'the inspector page in Chromium over a 100,000-event recording',
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-bench-'));
    const { file, count } = recording(dir);
    const server = await createInspector({ recording: file });
    const browser = await launchChromium();
    try {
      const firsts: number[] = [];
      const moves: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        const page = await context.newPage();
        const start = performance.now();
        await page.goto(server.url);
        await page.waitForFunction(
          (n) => document.getElementById('seq')?.dataset.seq === String(n),
          count,
          { timeout: 120_000, polling: 'raf' },
        );
        firsts.push(performance.now() - start);
        const times = await page.evaluate((n) => {
          const inspector = (
            window as unknown as {
              toolflightInspector: { moveTo(count: number): void; render(): void };
            }
          ).toolflightInspector;
          const out: number[] = [];
          let x = 7;
          for (let i = 0; i < n; i++) {
            x = (x * 1103515245 + 12345) % 2147483648;
            const t = performance.now();
            inspector.moveTo(x % 100_000);
            inspector.render();
            void document.body.offsetHeight; // include style and layout
            out.push(performance.now() - t);
          }
          return out;
        }, MOVES);
        moves.push(...times);
        await context.close();
      }
      const first = median(firsts);
      const p95 = percentile(moves, 0.95);
      log(
        `${fmt(count)} events; first render ${fmt(first)} ms (median of ${ROUNDS}: ${firsts.map((t) => fmt(t)).join(', ')})`,
      );
      log(
        `scrubber moves: p50 ${fmt(percentile(moves, 0.5), 1)} ms, p95 ${fmt(p95, 1)} ms over ${moves.length}`,
      );
      return [
        { metric: 'first_render_ms_100k', value: Math.round(first), unit: 'ms', target: '< 1000' },
        { metric: 'scrub_p95_ms', value: Math.round(p95 * 10) / 10, unit: 'ms', target: '< 100' },
      ];
    } finally {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default inspector;

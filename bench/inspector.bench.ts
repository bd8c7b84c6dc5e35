// The inspector page in Chromium over a 100,000- and a 1,000,000-event recording: time to first
// render (page load, the window of the log's end, fold, draw), the p95 of scrubber moves (the
// window around the position when it is not held, fold to it, redraw, layout) and, at 1M, the
// page's JavaScript heap after a GC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createMemoryStore, createTracker, encodeEvent } from '../dist/src/index.js';
import { createInspector } from '../dist/src/inspector/index.js';
import { launchChromium } from '../test/inspector/support.js';
import { fmt, median, percentile, type Bench } from './harness.js';

const MOVES = 60;
/** How long the page may take to show a recording before the round counts as not rendered. */
const RENDER_TIMEOUT_MS = 240_000;

/** A recording of about `size` events: tool calls in requests, a few in flight at a time. */
function recording(dir: string, size: number): { file: string; count: number } {
  const store = createMemoryStore();
  let now = 0;
  const tracker = createTracker({ store, clock: () => (now += 3) });
  tracker.beginCapture('bench');
  let i = 0;
  while (store.lastSeq() < size - 10) {
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
  const file = join(dir, `bench-${size}.jsonl`);
  writeFileSync(file, events.map((event) => `${encodeEvent(event)}\n`).join(''));
  return { file, count: events.length };
}

interface Measured {
  readonly firsts: number[];
  readonly moves: number[];
  readonly heapMb: number[];
  readonly count: number;
}

/** Open the page over a recording of about `events` events `rounds` times; scrub each time. */
async function measure(
  browser: Awaited<ReturnType<typeof launchChromium>>,
  dir: string,
  events: number,
  rounds: number,
): Promise<Measured> {
  const { file, count } = recording(dir, events);
  const server = await createInspector({ recording: file });
  const out: Measured = { firsts: [], moves: [], heapMb: [], count };
  try {
    for (let round = 0; round < rounds; round++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        const start = performance.now();
        await page.goto(server.url);
        await page.waitForFunction(
          (n) => document.getElementById('seq')?.dataset.seq === String(n),
          count,
          { timeout: RENDER_TIMEOUT_MS, polling: 'raf' },
        );
        out.firsts.push(performance.now() - start);
        const times = await page.evaluate(
          async ([n, total]) => {
            const inspector = (
              window as unknown as {
                toolflightInspector: {
                  moveTo(count: number): void;
                  render(): void;
                  readonly fetching: boolean;
                  whenHeld(): Promise<void>;
                };
              }
            ).toolflightInspector;
            const moved: number[] = [];
            let x = 7;
            for (let i = 0; i < n; i++) {
              x = (x * 1103515245 + 12345) % 2147483648;
              const t = performance.now();
              inspector.moveTo(x % total);
              // A move out of the window held waits for the server's window around it.
              if (inspector.fetching) await inspector.whenHeld();
              inspector.render();
              void document.body.offsetHeight; // include style and layout
              moved.push(performance.now() - t);
            }
            return moved;
          },
          [MOVES, count] as const,
        );
        out.moves.push(...times);
        const cdp = await context.newCDPSession(page);
        await cdp.send('HeapProfiler.collectGarbage');
        const heap = await cdp.send('Runtime.getHeapUsage');
        out.heapMb.push(heap.usedSize / 2 ** 20);
      } finally {
        await context.close();
      }
    }
  } finally {
    await server.close();
  }
  return out;
}

const inspector: Bench = {
  name: 'inspector',
  description: 'the inspector page in Chromium over a 100,000- and a 1,000,000-event recording',
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-bench-'));
    const browser = await launchChromium();
    try {
      const small = await measure(browser, dir, 100_000, 3);
      const first = median(small.firsts);
      const p95 = percentile(small.moves, 0.95);
      log(
        `${fmt(small.count)} events; first render ${fmt(first)} ms (median of 3: ${small.firsts.map((t) => fmt(t)).join(', ')})`,
      );
      log(
        `scrubber moves: p50 ${fmt(percentile(small.moves, 0.5), 1)} ms, p95 ${fmt(p95, 1)} ms over ${small.moves.length}`,
      );
      const large = await measure(browser, dir, 1_000_000, 1);
      const first1m = median(large.firsts);
      const p95at1m = percentile(large.moves, 0.95);
      log(
        `${fmt(large.count)} events; first render ${fmt(first1m)} ms, scrub p50 ${fmt(percentile(large.moves, 0.5), 1)} ms, p95 ${fmt(p95at1m, 1)} ms, heap ${fmt(large.heapMb[0]!, 1)} MiB after GC`,
      );
      return [
        { metric: 'first_render_ms_100k', value: Math.round(first), unit: 'ms', target: '< 1000' },
        { metric: 'scrub_p95_ms', value: Math.round(p95 * 10) / 10, unit: 'ms', target: '< 100' },
        { metric: 'first_render_ms_1m', value: Math.round(first1m), unit: 'ms', target: '< 500' },
        {
          metric: 'scrub_p95_ms_1m',
          value: Math.round(p95at1m * 10) / 10,
          unit: 'ms',
          target: '< 50',
        },
        {
          metric: 'heap_mb_1m',
          value: Math.round(large.heapMb[0]! * 10) / 10,
          unit: 'MiB',
          target: 'report',
        },
      ];
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default inspector;

// The inspector page in Chromium over a 100,000- and a 1,000,000-event recording: time to first
// render (page load, the window of the log's end, fold, draw), the p95 of scrubber moves (the
// window around the position when it is not held, fold to it, redraw, layout) and, at 1M, the
// page's JavaScript heap after a GC.
//
// Each round opens the page in a window of its own, and the targets are measured once that
// window has finished starting: a new Chromium window loads its own browser UI (the omnibox
// popup's WebUI pages, in another renderer) for about a second, and on two cores that work
// added 20 to 40 ms to the p95 of the page's moves and about 200 ms to its first screen, in
// paired runs. A developer opens the URL in a browser already running. The same figures in a
// window opened just before the page are reported beside them (`new_window_*`), from rounds run
// in turn with the others.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import type { Browser, CDPSession } from 'playwright-core';

import { createMemoryStore, createTracker, encodeEvent } from '../dist/src/index.js';
import { createInspector } from '../dist/src/inspector/index.js';

import { launchChromium } from '../test/inspector/support.js';
import { collect, fmt, median, percentile, type Bench } from './harness.js';

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
  /** How long each round waited for its window to finish starting. */
  readonly settledMs: number[];
}

/** CPU seconds Chromium's processes have used, all of them (the browser, GPU, renderers). */
async function browserCpu(cdp: CDPSession): Promise<number> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { cpuTime: number }[];
  };
  return processInfo.reduce((sum, process) => sum + process.cpuTime, 0);
}

/** A window that has finished starting: under 10% of a core for 100 ms; at most 10 s. */
const QUIET_CPU_S = 0.01;
const QUIET_SPAN_MS = 100;
const SETTLE_MOST_MS = 10_000;

/** Wait until Chromium is quiet (the CPU it uses, not a fixed time); the ms waited. */
async function settle(cdp: CDPSession): Promise<number> {
  const start = performance.now();
  let before = await browserCpu(cdp);
  while (performance.now() - start < SETTLE_MOST_MS) {
    await delay(QUIET_SPAN_MS);
    const now = await browserCpu(cdp);
    if (now - before < QUIET_CPU_S) break;
    before = now;
  }
  return performance.now() - start;
}

const measured = (): Measured => ({ firsts: [], moves: [], heapMb: [], settledMs: [] });

/**
 * Open the page over a recording of about `events` events `rounds` times in a window that
 * finished starting and as many in a new one, in turn; scrub each time.
 */
async function measure(
  browser: Browser,
  dir: string,
  events: number,
  rounds: number,
): Promise<{ count: number; settled: Measured; fresh: Measured }> {
  const { file, count } = recording(dir, events);
  // Building the recording left a million events and their text on this process's heap, which
  // the server shares: collected now, or the server's collections of it land in the moves.
  collect();
  const server = await createInspector({ recording: file });
  const cdp = await browser.newBrowserCDPSession();
  const out = { count, settled: measured(), fresh: measured() };
  try {
    for (let round = 0; round < 2 * rounds; round++) {
      // Settled, then new, in turn: the two see the same machine.
      const into = round % 2 === 0 ? out.settled : out.fresh;
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        if (into === out.settled) {
          await page.goto('about:blank');
          into.settledMs.push(await settle(cdp));
        }
        const start = performance.now();
        await page.goto(server.url);
        await page.waitForFunction(
          (n) => document.getElementById('seq')?.dataset.seq === String(n),
          count,
          { timeout: RENDER_TIMEOUT_MS, polling: 'raf' },
        );
        into.firsts.push(performance.now() - start);
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
        into.moves.push(...times);
        const pageCdp = await context.newCDPSession(page);
        await pageCdp.send('HeapProfiler.collectGarbage');
        const heap = await pageCdp.send('Runtime.getHeapUsage');
        into.heapMb.push(heap.usedSize / 2 ** 20);
      } finally {
        await context.close();
      }
    }
  } finally {
    await cdp.detach();
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
      const large = await measure(browser, dir, 1_000_000, 2);
      const p95 = (m: Measured) => percentile(m.moves, 0.95);
      const p50 = (m: Measured) => percentile(m.moves, 0.5);
      for (const [name, m] of [
        ['settled window', small.settled],
        ['new window', small.fresh],
      ] as const) {
        log(
          `${fmt(small.count)} events, ${name}: first render ${fmt(median(m.firsts))} ms (median of ${m.firsts.length}: ${m.firsts.map((t) => fmt(t)).join(', ')}); scrub p50 ${fmt(p50(m), 1)} ms, p95 ${fmt(p95(m), 1)} ms over ${m.moves.length}`,
        );
      }
      for (const [name, m] of [
        ['settled window', large.settled],
        ['new window', large.fresh],
      ] as const) {
        log(
          `${fmt(large.count)} events, ${name}: first render ${fmt(median(m.firsts))} ms (median of ${m.firsts.length}), scrub p50 ${fmt(p50(m), 1)} ms, p95 ${fmt(p95(m), 1)} ms, heap ${fmt(m.heapMb[0]!, 1)} MiB after GC`,
        );
      }
      const waits = [...small.settled.settledMs, ...large.settled.settledMs];
      log(`the settled windows finished starting in ${waits.map((t) => fmt(t)).join(', ')} ms`);
      const round1 = (value: number) => Math.round(value * 10) / 10;
      return [
        {
          metric: 'first_render_ms_100k',
          value: Math.round(median(small.settled.firsts)),
          unit: 'ms',
          target: '< 1000',
        },
        { metric: 'scrub_p95_ms', value: round1(p95(small.settled)), unit: 'ms', target: '< 100' },
        {
          metric: 'first_render_ms_1m',
          value: Math.round(median(large.settled.firsts)),
          unit: 'ms',
          target: '< 500',
        },
        {
          metric: 'scrub_p95_ms_1m',
          value: round1(p95(large.settled)),
          unit: 'ms',
          target: '< 50',
        },
        {
          metric: 'heap_mb_1m',
          value: round1(large.settled.heapMb[0]!),
          unit: 'MiB',
          target: 'report',
        },
        {
          metric: 'new_window_scrub_p95_ms',
          value: round1(p95(small.fresh)),
          unit: 'ms',
          target: 'report',
        },
        {
          metric: 'new_window_first_render_ms_1m',
          value: Math.round(median(large.fresh.firsts)),
          unit: 'ms',
          target: 'report',
        },
        {
          metric: 'new_window_scrub_p95_ms_1m',
          value: round1(p95(large.fresh)),
          unit: 'ms',
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

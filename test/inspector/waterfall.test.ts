// The inspector's waterfall: every request and tool call a bar under its capture generation,
// checked against a fold of the same events done here, and driven with a real pointer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  type ToolflightEvent,
} from '../../src/index.js';
import { createInspector } from '../../src/inspector/index.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const HOSTILE = '<img src=x onerror="window.pwned=1">';

/**
 * Two generations on a virtual clock: nested and lone tool calls ending in every outcome, a
 * host's `waitForIdle` between them, and a request and a call still in flight at the end.
 */
async function record(): Promise<ToolflightEvent[]> {
  const scheduler = new VirtualTimeScheduler();
  const tracker = createTracker({ scheduler, store: createMemoryStore() });
  const at = (ms: number, step: () => void) => scheduler.schedule(step, ms);
  tracker.beginCapture('agent-run');
  const rq1 = tracker.requestStarted('agent-run');
  const rq2 = tracker.requestStarted('agent-run');
  at(10, () => tracker.requestClassified(rq1, { method: 'tools/call' }));
  const tc1 = { handle: undefined as ReturnType<typeof tracker.toolCallStarted> };
  at(12, () => (tc1.handle = tracker.toolCallStarted({ request: rq1, toolName: 'search' })));
  at(20, () => tracker.requestClassified(rq2, { method: 'tools/call' }));
  const tc2 = { handle: undefined as ReturnType<typeof tracker.toolCallStarted> };
  at(25, () => (tc2.handle = tracker.toolCallStarted({ request: rq2, toolName: 'deploy' })));
  const tc3 = { handle: undefined as ReturnType<typeof tracker.toolCallStarted> };
  at(30, () => (tc3.handle = tracker.toolCallStarted({ capture: 'agent-run', toolName: HOSTILE })));
  at(40, () => tracker.toolCallPrepared(tc1.handle, { args: { q: 'x' } }));
  at(60, () => tracker.toolCallResult(tc1.handle, { outcome: 'completed', isError: false }));
  at(62, () => tracker.toolCallFinished(tc1.handle));
  at(70, () => tracker.requestFinished(rq1, { status: 200 }));
  at(90, () => tracker.toolCallResult(tc2.handle, { outcome: 'failed', isError: true }));
  at(95, () => tracker.toolCallFinished(tc2.handle));
  at(100, () => tracker.requestFinished(rq2, { status: 500 }));
  at(130, () => tracker.toolCallResult(tc3.handle, { outcome: 'timed_out', isError: true }));
  at(131, () => tracker.toolCallFinished(tc3.handle));
  at(140, () => {
    const rq3 = tracker.requestStarted('agent-run');
    tracker.requestClassified(rq3, { method: 'tools/call' });
    const tc4 = tracker.toolCallStarted({ request: rq3, toolName: 'send' });
    scheduler.schedule(() => {
      tracker.toolCallResult(tc4, { outcome: 'blocked', isError: true });
      tracker.toolCallFinished(tc4);
      tracker.requestFinished(rq3, { status: 200 });
    }, 20);
  });
  scheduler.flush();
  const idle = tracker.waitForIdle('agent-run', { timeoutMs: 5_000, admissionGraceMs: 100 });
  scheduler.flush();
  expect(await idle).toBe(true);

  const lone = (ms: number, toolName: string, outcome?: 'cancelled' | 'unknown') =>
    at(ms, () => {
      const call = tracker.toolCallStarted({ capture: 'agent-run', toolName });
      scheduler.schedule(() => {
        if (outcome) tracker.toolCallResult(call, { outcome, isError: true });
        tracker.toolCallFinished(call);
      }, 30);
    });
  lone(10, 'abort', 'cancelled');
  lone(20, 'mystery', 'unknown');
  at(80, () => {
    tracker.beginCapture('second');
    const rq4 = tracker.requestStarted('second');
    tracker.requestClassified(rq4, { method: 'tools/call' });
    tracker.toolCallStarted({ request: rq4, toolName: 'long' });
    tracker.requestStarted('second');
  });
  lone(120, 'no-result');
  scheduler.flush();
  return [...tracker.store.read()];
}

/** A bar as this test folds it from the events, independently of the page. */
interface Expected {
  id: string;
  kind: 'request' | 'toolCall';
  label: string;
  gen: number;
  capture: string;
  depth: number;
  start: number;
  end: number | undefined;
  outcome: string | undefined;
  state: string;
  row: number;
}

/** The waterfall's rows at a cursor: each begun generation, then its entities in start order. */
function expectedBars(events: readonly ToolflightEvent[], count: number): Expected[] {
  const names = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'toolCall.started' || event.type === 'toolCall.prepared') {
      names.set(event.id, event.data.toolName);
    }
  }
  const gens: { gen: number; ids: string[] }[] = [];
  const bars = new Map<string, Expected>();
  for (const event of events.slice(0, count)) {
    if (event.type === 'capture.begun') gens.push({ gen: event.gen, ids: [] });
    if (event.type === 'request.started' || event.type === 'toolCall.started') {
      const request = event.type === 'toolCall.started' ? event.data.request : undefined;
      gens.find((g) => g.gen === event.gen)!.ids.push(event.id);
      bars.set(event.id, {
        id: event.id,
        kind: event.type === 'request.started' ? 'request' : 'toolCall',
        label: event.type === 'request.started' ? 'request' : names.get(event.id)!,
        gen: event.gen,
        capture: event.capture,
        depth: request === undefined ? 0 : 1,
        start: event.at,
        end: undefined,
        outcome: undefined,
        state: 'started',
        row: 0,
      });
    }
    const bar = event.id === undefined ? undefined : bars.get(event.id);
    if (!bar || bar.state === 'finished') continue;
    if (event.type === 'request.classified') {
      bar.label = event.data.method ?? 'request';
      bar.state = 'classified';
    }
    if (event.type === 'toolCall.prepared' && bar.outcome === undefined) bar.state = 'prepared';
    if (event.type === 'toolCall.result') bar.outcome ??= event.data.outcome;
    if (event.type === 'request.finished') {
      const failed = event.data.error !== undefined || (event.data.status ?? 0) >= 400;
      bar.outcome = failed ? 'failed' : 'completed';
    }
    if (event.type === 'request.finished' || event.type === 'toolCall.finished') {
      bar.state = 'finished';
      bar.end = event.at;
    }
  }
  const out: Expected[] = [];
  let row = 0;
  for (const { ids } of gens) {
    row++; // the generation's header
    for (const id of ids) out.push({ ...bars.get(id)!, row: row++ });
  }
  return out;
}

interface Laid extends Expected {
  x: number;
  y: number;
  width: number;
  height: number;
  open: boolean;
}
interface State {
  bars: Laid[];
  range: { from: number; to: number };
  plot: { left: number; top: number; width: number };
  scrollTop: number;
  cursor: number | undefined;
  rows: number;
  marks: {
    gen: number;
    grace: { start: number; end: number }[];
    idle: { at: number; result: string }[];
  }[];
}

const state = (page: Page): Promise<State> =>
  page.evaluate(
    () =>
      (window as unknown as { toolflightInspector: { waterfall: State } }).toolflightInspector
        .waterfall,
  );

/** Wait until the entity's bar is drawn below the ruler. */
const barShown = (page: Page, id: string) =>
  page.waitForFunction(
    (wanted) =>
      (
        window as unknown as { toolflightInspector: { waterfall: State } }
      ).toolflightInspector.waterfall.bars.some((b) => b.id === wanted && b.y > 20),
    id,
    WAIT,
  );

/** Every bar at the cursor: the waterfall scrolled from top to bottom, a screen at a time. */
async function allBars(page: Page): Promise<Laid[]> {
  const seen = new Map<string, Laid>();
  for (let top = 0; ;) {
    const actual = await page.evaluate((y) => {
      const scroller = document.getElementById('waterfall-scroll')!;
      scroller.scrollTop = y;
      return scroller.scrollTop;
    }, top);
    await page.waitForFunction(
      (y) =>
        (window as unknown as { toolflightInspector: { waterfall: State } }).toolflightInspector
          .waterfall.scrollTop === y,
      actual,
      WAIT,
    );
    const drawn = await state(page);
    for (const bar of drawn.bars) seen.set(bar.id, bar);
    if (actual < top || drawn.bars.length === 0) break;
    const height = await page.evaluate(
      () => document.getElementById('waterfall-scroll')!.clientHeight,
    );
    top = actual + height - 40;
  }
  return [...seen.values()].sort((a, b) => a.row - b.row);
}

/** Move the scrubber to `count` events and wait until the page has drawn there. */
async function scrubTo(
  page: Page,
  events: readonly ToolflightEvent[],
  count: number,
): Promise<void> {
  await page.locator('#scrubber').fill(String(count));
  await waitForText(page, '#seq', new RegExp(`^seq ${events[count - 1]!.seq} /`));
}

const { cleanups, open: openUrl } = chromiumSuite();
let dir: string;
let events: ToolflightEvent[];
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'toolflight-waterfall-'));
  events = await record();
  file = join(dir, 'waterfall.jsonl');
  writeFileSync(file, events.map((event) => `${encodeEvent(event)}\n`).join(''));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(recording = file, length = events.length): Promise<Page> {
  const inspector = await createInspector({ recording });
  cleanups.push(() => inspector.close());
  const page = await openUrl(inspector.url);
  await waitForText(page, '#seq', new RegExp(`^seq ${length} /`));
  return page;
}

/** 80 tool calls in one generation, one of them failed: more rows than the waterfall shows. */
function manyRows(): { file: string; events: ToolflightEvent[]; failed: string } {
  let now = 0;
  const tracker = createTracker({ store: createMemoryStore(), clock: () => (now += 5) });
  tracker.beginCapture('long-run');
  let failed = '';
  for (let i = 0; i < 80; i++) {
    const call = tracker.toolCallStarted({ capture: 'long-run', toolName: `step-${i}` });
    if (!call) throw new Error('the capture is live: a call starts');
    const outcome = i === 70 ? 'failed' : 'completed';
    if (i === 70) failed = call.id;
    tracker.toolCallResult(call, { outcome, isError: i === 70 });
    tracker.toolCallFinished(call);
  }
  const all = [...tracker.store.read()];
  const path = join(dir, 'many-rows.jsonl');
  writeFileSync(path, all.map((event) => `${encodeEvent(event)}\n`).join(''));
  return { file: path, events: all, failed };
}

describe('inspector waterfall', () => {
  it('the recording has what the waterfall must show', () => {
    const types = events.map((event) => event.type);
    expect(types).toContain('idle.waited');
    expect(new Set(events.filter((e) => e.type === 'capture.begun').map((e) => e.gen)).size).toBe(
      2,
    );
    const outcomes = events.flatMap((e) => (e.type === 'toolCall.result' ? [e.data.outcome] : []));
    expect(new Set(outcomes)).toEqual(
      new Set(['completed', 'failed', 'timed_out', 'blocked', 'cancelled', 'unknown']),
    );
    const end = expectedBars(events, events.length);
    expect(end.filter((bar) => bar.end === undefined).map((bar) => bar.id)).toEqual([
      'rq_4',
      'tc_7',
      'rq_5',
    ]);
  });

  it('lays out the bars of the library fold at every cursor, open ones up to the cursor line', async () => {
    const page = await open();
    const positions = [
      ...new Set([1, 2, 3, 5, 8, 13, 17, 21, 26, 30, 34, 38, events.length - 1, events.length]),
    ].filter((n) => n >= 1 && n <= events.length);
    for (const count of positions) {
      await scrubTo(page, events, count);
      const laid = await allBars(page);
      const expected = expectedBars(events, count);
      expect(
        laid.map(({ id, kind, label, gen, capture, depth, start, end, outcome, state, row }) => ({
          id,
          kind,
          label,
          gen,
          capture,
          depth,
          start,
          end,
          outcome,
          state,
          row,
        })),
        `bars at ${count} events`,
      ).toEqual(expected);
      const drawn = await state(page);
      const { from, to } = drawn.range;
      const x = (at: number) => drawn.plot.left + ((at - from) / (to - from)) * drawn.plot.width;
      for (const bar of laid) {
        expect(bar.open).toBe(bar.end === undefined);
        expect(bar.x).toBeCloseTo(x(bar.start), 0);
        const now = events[count - 1]!.at;
        const right = bar.end ?? Math.max(bar.start, now);
        expect(bar.x + bar.width).toBeCloseTo(Math.max(x(right), x(bar.start) + 1), 0);
      }
      expect(drawn.cursor).toBe(Math.round(x(events[count - 1]!.at)));
    }
  }, 120_000);

  it('marks the idle wait and the grace window before it on its generation', async () => {
    const page = await open();
    const waited = events.findIndex((event) => event.type === 'idle.waited');
    const lastFinish = events.slice(0, waited).findLast((e) => e.type === 'request.finished')!;
    const nextStart = events.slice(waited).find((e) => e.type === 'toolCall.started')!;
    const gen = events.find((e) => e.type === 'capture.begun')!.gen;
    await page.evaluate(() => (document.getElementById('waterfall-scroll')!.scrollTop = 0));
    await expect
      .poll(async () => (await state(page)).marks.find((m) => m.gen === gen)?.idle)
      .toEqual([{ at: events[waited]!.at, result: 'idle', waitedMs: 100 }]);
    const grace = (await state(page)).marks.find((m) => m.gen === gen)!.grace;
    // The page's rule: nothing in flight, until 250 ms (the grace input) or the next start.
    expect(grace).toContainEqual({
      start: lastFinish.at,
      end: Math.min(lastFinish.at + 250, nextStart.at),
    });
    // Back at the idle wait: the window is cut at the cursor, the mark is there.
    await scrubTo(page, events, waited + 1);
    await expect
      .poll(async () => (await state(page)).marks.find((m) => m.gen === gen)?.grace.at(-1))
      .toEqual({ start: lastFinish.at, end: events[waited]!.at });
    // Before it: no mark yet.
    await scrubTo(page, events, waited);
    await expect
      .poll(async () => (await state(page)).marks.find((m) => m.gen === gen)?.idle)
      .toEqual([]);
  }, 60_000);

  it('moves the cursor line with the scrubber, drawn in the accent colour', async () => {
    const page = await open();
    const cursorPixel = () =>
      page.evaluate(() => {
        const inspector = (window as unknown as { toolflightInspector: { waterfall: State } })
          .toolflightInspector;
        const canvas = document.getElementById('waterfall') as HTMLCanvasElement;
        const ratio = canvas.width / canvas.clientWidth;
        const x = inspector.waterfall.cursor!;
        const [r, g, b] = canvas
          .getContext('2d')!
          .getImageData(Math.floor(x * ratio), 1, 1, 1).data;
        const acc = getComputedStyle(document.documentElement).getPropertyValue('--acc').trim();
        return { x, rgb: [r, g, b], acc };
      });
    const end = await cursorPixel();
    await scrubTo(page, events, 5);
    const early = await cursorPixel();
    expect(early.x).toBeLessThan(end.x);
    for (const seen of [early, end]) {
      const hex = `#${seen.rgb.map((c) => c!.toString(16).padStart(2, '0')).join('')}`;
      expect(hex).toBe(seen.acc);
    }
  }, 60_000);

  it('zooms around the pointer with the wheel, pans with a drag, resets with a double-click', async () => {
    const page = await open();
    const box = (await page.locator('#waterfall').boundingBox())!;
    const before = await state(page);
    const px = before.plot.left + before.plot.width * 0.3;
    const timeAt = (s: State, x: number) =>
      s.range.from + ((x - s.plot.left) / s.plot.width) * (s.range.to - s.range.from);
    const y = box.y + 60;
    await page.mouse.move(box.x + px, y);
    await page.mouse.wheel(0, -400);
    await expect
      .poll(async () => (await state(page)).range.to - (await state(page)).range.from)
      .toBeLessThan((before.range.to - before.range.from) / 2);
    const zoomed = await state(page);
    expect(timeAt(zoomed, px)).toBeCloseTo(timeAt(before, px), 3);

    // Drag 100 px to the right: the range moves back in time by 100 px worth of it.
    await page.mouse.move(box.x + px, y);
    await page.mouse.down();
    await page.mouse.move(box.x + px + 50, y);
    await page.mouse.move(box.x + px + 100, y);
    await page.mouse.up();
    const shift = (100 / zoomed.plot.width) * (zoomed.range.to - zoomed.range.from);
    await expect
      .poll(async () => (await state(page)).range.from)
      .toBeCloseTo(zoomed.range.from - shift, 3);

    await page.mouse.dblclick(box.x + px, y);
    await expect.poll(async () => (await state(page)).range).toEqual(before.range);
  }, 60_000);

  it('shows a tooltip with the bar under the pointer, as text, and selects its entity on click', async () => {
    const page = await open();
    const box = (await page.locator('#waterfall').boundingBox())!;
    const bars = await allBars(page);
    const center = async (id: string) => {
      // Scroll the bar's row into view, then aim at its middle.
      const bar = bars.find((b) => b.id === id)!;
      await page.evaluate(
        (top) => (document.getElementById('waterfall-scroll')!.scrollTop = top),
        bar.row * 18 - 40,
      );
      await barShown(page, id);
      const laid = (await state(page)).bars.find((b) => b.id === id)!;
      return { x: box.x + laid.x + laid.width / 2, y: box.y + laid.y + laid.height / 2 };
    };

    const deploy = await center('tc_2');
    await page.mouse.move(deploy.x, deploy.y);
    await waitForText(page, '.wf-tip', /tc_2/);
    const tip = await page.locator('.wf-tip').innerText();
    expect(tip).toMatch(/deploy/);
    expect(tip).toMatch(/failed/);
    expect(tip).toMatch(/finished/);
    await page.mouse.click(deploy.x, deploy.y);
    await waitForText(page, '#diagram-title', /^machine: toolCall tc_2 \(deploy\)$/);

    const hostile = await center('tc_3');
    await page.mouse.move(hostile.x, hostile.y);
    await waitForText(page, '.wf-tip', /tc_3/);
    expect(await page.locator('.wf-tip').innerText()).toContain(HOSTILE);
    expect(await page.locator('.wf-tip img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
  }, 60_000);

  it('finds the failed call in one keystroke from the end (N), or two from the start (Home, n), and scrolls the waterfall to its row', async () => {
    const many = manyRows();
    const page = await open(many.file, many.events.length);
    const failure = many.events.find((e) => e.type === 'toolCall.result' && e.id === many.failed)!;
    expect((await state(page)).bars.some((b) => b.id === many.failed)).toBe(false);
    await page.keyboard.press('Shift+N');
    await waitForText(page, '#seq', new RegExp(`^seq ${failure.seq} /`));
    await waitForText(page, '#diagram-title', new RegExp(`toolCall ${many.failed} \\(step-70\\)`));
    await barShown(page, many.failed);
    expect((await state(page)).scrollTop).toBeGreaterThan(0);

    // A fresh page, from the start: the first failure is the same one.
    const fresh = await open(many.file, many.events.length);
    await fresh.keyboard.press('Home');
    await waitForText(fresh, '#seq', /^seq 0 \//);
    await fresh.keyboard.press('n');
    await waitForText(fresh, '#seq', new RegExp(`^seq ${failure.seq} /`));
    await waitForText(fresh, '#find-status', /^failure 1 of 1$/);
    await barShown(fresh, many.failed);
  }, 60_000);

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 1440, height: 900 },
  ]) {
    it(`fits a ${viewport.width}×${viewport.height} viewport without the document scrolling`, async () => {
      const page = await open();
      await page.setViewportSize(viewport);
      await page.waitForFunction(
        (w) => document.documentElement.clientWidth <= w,
        viewport.width,
        WAIT,
      );
      const { scroll, client } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollHeight,
        client: document.documentElement.clientHeight,
      }));
      expect(scroll).toBeLessThanOrEqual(client);
      // Still room for several rows of bars.
      const canvas = await page.locator('#waterfall').boundingBox();
      expect(canvas?.height).toBeGreaterThan(100);
    }, 60_000);
  }
});

// A recording longer than a window, in Chromium: the page holds one window of the server's log
// at a time, and wherever the scrubber goes it shows what the library's fold of the whole log
// says there; failure jumps and permalinks reach past the window held.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  type ToolflightEvent,
} from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import type { EventLog } from '../../src/inspector/page/eventLog.js';
import { evolveCaptures, initialCapturesState } from '../../src/projections/captures.js';
import { snapshotCaptures } from '../../src/projections/snapshot.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const WINDOW = 500;

/**
 * Tool calls on an injected clock, a few in flight at a time; every 25th stays open for 40
 * calls (so windows start in the middle of it), and one call, 60% of the way in, fails.
 */
function recording(calls: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 1_000;
  const tracker = createTracker({ store, clock: () => (now += 3) });
  tracker.beginCapture('run');
  const long: { call: ReturnType<typeof tracker.toolCallStarted>; until: number }[] = [];
  for (let i = 0; i < calls; i++) {
    const request = tracker.requestStarted('run');
    tracker.requestClassified(request, { method: 'tools/call' });
    const call = tracker.toolCallStarted({ request, toolName: `tool-${i % 3}`, args: { i } });
    if (i % 25 === 0) long.push({ call, until: i + 40 });
    else {
      const failed = i === Math.floor(calls * 0.6) + 1;
      tracker.toolCallResult(call, { outcome: failed ? 'failed' : 'completed', isError: failed });
      tracker.toolCallFinished(call);
    }
    tracker.requestFinished(request, { status: 200 });
    while (long[0] !== undefined && long[0].until <= i) {
      const done = long.shift()!;
      tracker.toolCallResult(done.call, { outcome: 'completed', isError: false });
      tracker.toolCallFinished(done.call);
    }
  }
  return [...store.read()];
}

const EVENTS = recording(1_000);
const FAILURE = EVENTS.findIndex(
  (e) => e.type === 'toolCall.result' && e.data.outcome === 'failed',
);
const dir = mkdtempSync(join(tmpdir(), 'toolflight-windows-page-'));
const file = join(dir, 'run.jsonl');
writeFileSync(file, EVENTS.map((event) => `${encodeEvent(event)}\n`).join(''));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const suite = chromiumSuite();
let inspector: Inspector | undefined;

async function open(hash = ''): Promise<Page> {
  inspector ??= await createInspector({ recording: file }, { windowEvents: WINDOW });
  const page = await suite.open(`${inspector.url}${hash}`);
  await page.waitForFunction(() => document.getElementById('held')?.textContent !== '', WAIT);
  return page;
}
afterAll(() => inspector?.close());

/** The library's fold of the first `count` events: in flight and activity of each capture. */
function expected(count: number) {
  const state = initialCapturesState();
  for (let i = 0; i < count; i++) evolveCaptures(state, EVENTS[i]!);
  const snapshot = snapshotCaptures(state);
  return {
    seq: String(EVENTS[count - 1]?.seq ?? 0),
    captures: snapshot.captures.map((c) => [c.key, String(c.inFlight), String(c.activityVersion)]),
    toolCalls: snapshot.captures.flatMap((c) => c.toolCalls.map((t) => [t.id, t.state])),
  };
}

/** The page's own handle (main.ts `toolflightInspector`), as far as these tests read it. */
interface PageHandle {
  readonly log: EventLog;
  readonly view: { readonly cursor: number };
}

/** What the page shows at its cursor: the seq, the captures table, the live tool calls. */
async function shown(page: Page, liveIds: readonly string[]) {
  return page.evaluate((ids) => {
    const text = (element: Element | null) => element?.textContent ?? '';
    return {
      seq: document.getElementById('seq')!.dataset.seq!,
      captures: Array.from(document.querySelectorAll('#captures-body tr[data-key]')).map((row) => [
        row.getAttribute('data-key')!,
        text(row.querySelector('.in-flight')),
        text(row.children[3]!),
      ]),
      // What the entities panel draws for each (its rows are virtualised: not all in the DOM).
      toolCalls: ids.map((id) => {
        const { log, view } = (window as unknown as { toolflightInspector: PageHandle })
          .toolflightInspector;
        const entity = log.entities.get(id);
        return [id, entity ? (log.entityAt(entity, view.cursor)?.state ?? '') : ''];
      }),
    };
  }, liveIds);
}

/** Wait until the page's cursor is at the event with this seq. */
const seqShown = (page: Page, seq: string, options: { timeout: number } = WAIT) =>
  page.waitForFunction((s) => document.getElementById('seq')?.dataset.seq === s, seq, options);

/** Wait until the page shows the library's fold of the first `count` events. */
async function showsFold(page: Page, count: number): Promise<void> {
  const want = expected(count);
  const ids = want.toolCalls.map(([id]) => id!);
  await expect.poll(() => shown(page, ids), WAIT).toEqual(want);
}

/** Set the scrubber to a position of the whole log, as a drag does. */
const setScrubber = (page: Page, count: number) =>
  page.$eval(
    '#scrubber',
    (element, value) => {
      const scrubber = element as HTMLInputElement;
      scrubber.value = String(value);
      scrubber.dispatchEvent(new Event('input'));
    },
    count,
  );

/** Move the scrubber to a position of the whole log and wait for the page to show it. */
async function scrubTo(page: Page, count: number): Promise<void> {
  await setScrubber(page, count);
  await seqShown(page, expected(count).seq);
}

describe('inspector page over a recording longer than a window', () => {
  it('opens at the end holding one window, and shows the fold of the whole log wherever it is scrubbed', async () => {
    expect(EVENTS.length).toBeGreaterThan(10 * WINDOW);
    const page = await open();
    await waitForText(page, '#held', /^holding events 5,\d{3}–\d,\d{3} of \d,\d{3}$/);
    const total = EVENTS.length;
    expect(await page.textContent('#held')).toBe(
      `holding events ${(total - WINDOW + 1).toLocaleString('en-US')}–${total.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`,
    );
    expect(await page.$eval('#scrubber', (s) => (s as HTMLInputElement).max)).toBe(String(total));
    // The timeline's filters see the window held, and its count says so.
    await waitForText(page, '#timeline-count', /^[\d,]+ of [\d,]+ events in the window held$/);
    // Far back, just inside a window, its first event, the very start, and back in the middle.
    for (const count of [total, 2_000, 2_001, 1_750, 1, 0, 3_333, total - 1]) {
      if (count !== total) await scrubTo(page, count);
      await showsFold(page, count);
    }
  });

  it('asks for its first window once: the HTML preloads it and the page takes that answer', async () => {
    inspector ??= await createInspector({ recording: file }, { windowEvents: WINDOW });
    const context = await suite.browser().newContext();
    suite.cleanups.push(() => context.close());
    const page = await context.newPage();
    const windows: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/window') windows.push(url.search);
    });
    await page.goto(inspector.url);
    await waitForText(page, '#status', /^live$/);
    await seqShown(page, String(EVENTS[EVENTS.length - 1]!.seq));
    // A preload the page's fetch did not match would be a second request for the same window.
    expect(windows).toEqual([`?token=${inspector.token}`]);
  });

  it('steps across the edge of the window held with the arrow keys', async () => {
    const page = await open();
    await scrubTo(page, 2_000);
    const start = Number(
      (await page.textContent('#held'))!.match(/holding events ([\d,]+)/)![1]!.replace(/,/g, ''),
    );
    // To the window's first event, then one more back: a new window, the same fold.
    await scrubTo(page, start);
    await page.keyboard.press('ArrowLeft');
    await seqShown(page, expected(start - 1).seq);
    await showsFold(page, start - 1);
  });

  it('jumps to the one failure from the end (N) and from the start (Home, n), across windows', async () => {
    const page = await open();
    expect(FAILURE).toBeGreaterThan(WINDOW);
    expect(FAILURE).toBeLessThan(EVENTS.length - WINDOW);
    await page.keyboard.press('N');
    await waitForText(page, '#find-status', /^failure 1 of 1$/);
    await seqShown(page, String(EVENTS[FAILURE]!.seq));
    await waitForText(page, '#detail', /"outcome": "failed"/);
    await page.keyboard.press('N');
    await waitForText(page, '#find-status', /^no failure before this$/);
    await page.keyboard.press('Home');
    await seqShown(page, '0');
    await page.keyboard.press('n');
    await seqShown(page, String(EVENTS[FAILURE]!.seq));
    await waitForText(page, '#find-status', /^failure 1 of 1$/);
    await page.keyboard.press('n');
    await waitForText(page, '#find-status', /^no failure after this$/);
  });

  it('a click on the chart over a window goes to that stretch of the whole log', async () => {
    const page = await open();
    const t0 = EVENTS[0]!.at;
    const t1 = EVENTS[EVENTS.length - 1]!.at;
    for (const fraction of [0.25, 0.7]) {
      const width = await page.$eval('#chart', (chart) => chart.clientWidth);
      const x = Math.round(width * fraction);
      // The stretch under x, of 1,024 over the log's time; its first event is where the click goes.
      const stretch = Math.floor((x / width) * 1024);
      const first = EVENTS.findIndex(
        (e) => Math.floor(((e.at - t0) / (t1 - t0)) * 1024) >= stretch,
      );
      expect(first).toBeGreaterThan(0);
      await page.click('#chart', { position: { x, y: 30 } });
      await seqShown(page, String(EVENTS[first]!.seq));
      await showsFold(page, first + 1);
      expect(await page.textContent('#held')).toMatch(/^holding events [\d,]+–[\d,]+ of /);
    }
    // No longer live: the click held an earlier stretch (the fragment is written within 250 ms).
    await expect.poll(() => page.evaluate(() => location.hash), WAIT).toMatch(/seq=/);
  });

  it('counts the waterfall ruler from the log first event over a window of it (regression: it counted from the window first event, 0 ms where the timeline said minutes)', async () => {
    const page = await open();
    await scrubTo(page, 4_000);
    const start = Number(
      (await page.textContent('#held'))!.match(/holding events ([\d,]+)/)![1]!.replace(/,/g, ''),
    );
    const ticks = await page.evaluate(
      () =>
        (window as unknown as { toolflightInspector: { waterfall: { ticks: string[] } } })
          .toolflightInspector.waterfall.ticks,
    );
    const ms = (label: string) => {
      const [, value, unit] = label.match(/^(-?[\d.]+) (ms|s)$/)!;
      return Number(value) * (unit === 's' ? 1000 : 1);
    };
    // The window's own events start well after the log's first: so does the ruler.
    const windowFrom = EVENTS[start - 1]!.at - EVENTS[0]!.at;
    const windowTo = EVENTS[EVENTS.length - 1]!.at - EVENTS[0]!.at;
    expect(windowFrom).toBeGreaterThan(5_000);
    expect(ticks.length).toBeGreaterThan(2);
    for (const label of ticks) {
      expect(ms(label)).toBeGreaterThan(windowFrom * 0.9);
      expect(ms(label)).toBeLessThan(windowTo);
    }
  });

  it('opens a permalink to a seq outside the last window there, exports the whole log, and the live button goes back to the end', async () => {
    const seq = EVENTS[2_500]!.seq;
    const page = await open(`#seq=${seq}&event=${seq}`);
    await seqShown(page, String(seq));
    await waitForText(page, '#detail', new RegExp(`"seq": ${seq},`));
    await showsFold(page, 2_501);
    // Export saves the whole log, not the window held.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    expect(exported.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual(
      EVENTS.map((event) => event.seq),
    );
    await page.click('#live');
    await seqShown(page, expected(EVENTS.length).seq);
  });
});

describe('inspector page asking for its windows on a socket', () => {
  /** An inspector of its own (the sockets counted are this page's), and its page's fetches. */
  async function openOwn(limits?: { maxStreams: number }) {
    const server = await createInspector({ recording: file }, { windowEvents: WINDOW, limits });
    suite.cleanups.push(() => server.close());
    const held = (): Promise<Page> => suite.open(server.url);
    return { server, held };
  }
  /** The `/window` requests the page made over HTTP, by query. */
  function fetches(page: Page): string[] {
    const seen: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/window') seen.push(url.searchParams.get('at') ?? 'end');
    });
    return seen;
  }

  it('scrubs on one socket, and opens another for the next window once it was lost', async () => {
    const { server, held } = await openOwn();
    const page = await held();
    const fetched = fetches(page);
    await waitForText(page, '#status', /^live$/);
    await expect.poll(() => server.stats().windowSockets, WAIT).toBe(1);
    await scrubTo(page, 2_000);
    await showsFold(page, 2_000);
    // The server lost it (a restart, an eviction): the page opens another when it next asks.
    await page.evaluate(() =>
      (
        window as unknown as { toolflightInspector: { channel: { close(): void } } }
      ).toolflightInspector.channel.close(),
    );
    await expect.poll(() => server.stats().windowSockets, WAIT).toBe(0);
    await scrubTo(page, 3_333);
    await showsFold(page, 3_333);
    expect(server.stats().windowSockets).toBe(1);
    // Neither move was a fetch.
    expect(fetched).toEqual([]);
  });

  it('gives up on a window its socket never answers after 30 s of the page clock, says so, and asks on a new socket', async () => {
    inspector ??= await createInspector({ recording: file }, { windowEvents: WINDOW });
    const context = await suite.browser().newContext({ viewport: { width: 1440, height: 900 } });
    suite.cleanups.push(() => context.close());
    const page = await context.newPage();
    // A socket that opens and never answers: a server that hangs on a window.
    const sockets: string[][] = [];
    await page.routeWebSocket(/\/window/, (ws) => {
      const asked: string[] = [];
      sockets.push(asked);
      ws.onMessage((message) => asked.push(String(message)));
    });
    await page.goto(inspector.url);
    await waitForText(page, '#held', /^holding events/);
    await expect.poll(() => sockets.length, WAIT).toBe(1);
    // The page's timers from here on: the deadline is reached without waiting 30 s.
    await page.clock.install();
    await setScrubber(page, 2_000);
    await expect.poll(() => sockets[0], WAIT).toEqual(['at=2000']);
    await page.clock.runFor(29_000);
    expect(await page.textContent('#banner')).toBe('');
    await page.clock.runFor(1_500);
    await waitForText(page, '#banner', /no window came within 30 s/);
    // The socket given up on is closed; the next window is asked for on a new one.
    await setScrubber(page, 3_000);
    await expect.poll(() => sockets.length, WAIT).toBe(2);
    await expect.poll(() => sockets[1], WAIT).toEqual(['at=3000']);
  }, 60_000);

  it('fetches its windows when the server refuses it a socket', async () => {
    const { server, held } = await openOwn({ maxStreams: 1 });
    // The one socket maxStreams allows is taken.
    const taken = new WebSocket(
      `${server.origin.replace('http', 'ws')}/window?token=${server.token}`,
    );
    suite.cleanups.push(() => Promise.resolve(taken.terminate()));
    await new Promise((resolve, reject) => taken.once('open', resolve).once('error', reject));
    const page = await held();
    const fetched = fetches(page);
    await waitForText(page, '#status', /^live$/);
    await scrubTo(page, 2_000);
    await showsFold(page, 2_000);
    await scrubTo(page, 3_333);
    await showsFold(page, 3_333);
    expect(fetched).toEqual(['2000', '3333']);
    expect(server.stats().windowSockets).toBe(1);
  });
});

/**
 * A recording of the first 3,000 events that the test goes on writing (`write` appends
 * `EVENTS[from..to)`), served with `follow`.
 */
async function followed(name: string) {
  const file = join(dir, name);
  const write = (from: number, to: number) =>
    appendFileSync(
      file,
      EVENTS.slice(from, to)
        .map((e) => `${encodeEvent(e)}\n`)
        .join(''),
    );
  write(0, 3_000);
  const server = await createInspector({ recording: file, follow: true }, { windowEvents: WINDOW });
  return { write, server };
}

describe('inspector page over a followed recording longer than a window', () => {
  it('follows new lines at the end, counts them while an earlier window is held, and takes them all on going live', async () => {
    const { write, server } = await followed('grown.jsonl');
    try {
      const page = await suite.open(server.url);
      await seqShown(page, expected(3_000).seq);
      await waitForText(page, '#held', /^holding events 2,501–3,000 of 3,000$/);
      write(3_000, 3_100);
      // Live at the end: the window grows with the file.
      await seqShown(page, expected(3_100).seq);
      await waitForText(page, '#held', /^holding events 2,501–3,100 of 3,100$/);
      await scrubTo(page, 1_000);
      write(3_100, 3_200);
      // Back in time: the new lines are counted, the cursor stays.
      await waitForText(page, '#held', / of 3,200$/);
      expect(await page.$eval('#scrubber', (s) => (s as HTMLInputElement).max)).toBe('3200');
      expect(await page.$eval('#seq', (s) => (s as HTMLElement).dataset.seq)).toBe(
        expected(1_000).seq,
      );
      await page.click('#live');
      await seqShown(page, expected(3_200).seq);
      await showsFold(page, 3_200);
      const seqs = await page.evaluate(() =>
        (
          window as unknown as { toolflightInspector: PageHandle }
        ).toolflightInspector.log.events.map((e) => e.seq),
      );
      // Every event once, in order, up to the file's last.
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
      expect(seqs[seqs.length - 1]).toBe(EVENTS[3_199]!.seq);
      expect(seqs.slice(-WINDOW)).toEqual(EVENTS.slice(3_200 - WINDOW, 3_200).map((e) => e.seq));
    } finally {
      await server.close();
    }
  });
});

describe('inspector page over a followed recording: the chart', () => {
  it('draws the whole log up to its newest line within seconds (regression: the overview stayed as of the window held until twice a window of lines had come)', async () => {
    const { write, server } = await followed('overview-follow.jsonl');
    const overviewEnd = (page: Page) =>
      page.evaluate(
        () =>
          (window as unknown as { toolflightInspector: { overview?: { t1: number } } })
            .toolflightInspector.overview?.t1,
      );
    try {
      const page = await suite.open(server.url);
      await seqShown(page, expected(3_000).seq);
      expect(await overviewEnd(page)).toBe(EVENTS[2_999]!.at);
      // Far fewer lines than the two windows after which the page takes a window again anyway.
      write(3_000, 3_050);
      await seqShown(page, expected(3_050).seq);
      await expect.poll(() => overviewEnd(page), WAIT).toBe(EVENTS[3_049]!.at);
      // Back in time, the same: the overview reaches the lines counted past the window held.
      await scrubTo(page, 1_000);
      write(3_050, 3_080);
      await expect.poll(() => overviewEnd(page), WAIT).toBe(EVENTS[3_079]!.at);
      expect(await page.$eval('#seq', (e) => (e as HTMLElement).dataset.seq)).toBe(
        expected(1_000).seq,
      );
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('inspector page left open on a growing recording', () => {
  it('holds about a window, not every line it was sent (regression: the window at the end grew without bound while following)', async () => {
    const { write, server } = await followed('long-follow.jsonl');
    /** The page's log: how many events it holds past the context, and their seqs. */
    const held = (page: Page) =>
      page.evaluate(() => {
        const { log } = (window as unknown as { toolflightInspector: PageHandle })
          .toolflightInspector;
        return { own: log.length - log.context, seqs: log.events.map((e) => e.seq) };
      });
    try {
      const page = await suite.open(server.url);
      await waitForText(page, '#held', /^holding events 2,501–3,000 of 3,000$/);
      // Following live: 1,200 more lines, over twice a window.
      for (let at = 3_000; at < 4_200; at += 100) write(at, at + 100);
      await seqShown(page, expected(4_200).seq);
      await waitForText(page, '#held', / of 4,200$/);
      await showsFold(page, 4_200);
      const live = await held(page);
      expect(live.own).toBeLessThanOrEqual(2 * WINDOW);
      expect(live.seqs.every((seq, i) => i === 0 || seq > live.seqs[i - 1]!)).toBe(true);
      expect(live.seqs.slice(-WINDOW)).toEqual(
        EVENTS.slice(4_200 - WINDOW, 4_200).map((e) => e.seq),
      );
      // Back in the window at the end, not following: the window is cut around the cursor,
      // which stays, and the lines after it are counted.
      await scrubTo(page, 4_100);
      for (let at = 4_200; at < 5_400; at += 100) write(at, at + 100);
      await waitForText(page, '#held', / of 5,400$/);
      expect((await held(page)).own).toBeLessThanOrEqual(2 * WINDOW);
      expect(await page.$eval('#seq', (s) => (s as HTMLElement).dataset.seq)).toBe(
        expected(4_100).seq,
      );
      await showsFold(page, 4_100);
    } finally {
      await server.close();
    }
  });
});

/** Positions of the 1M-event test's scrubs, and the fold at each, made while writing the file. */
const MILLION_AT = [250_000, 500_001, 999_000];

/**
 * About a million events written to a JSONL file as the tracker makes them (its store keeps the
 * last 1,000), with the library's fold taken at each of `MILLION_AT` on the way.
 */
function millionRecording(path: string) {
  const store = createMemoryStore({ retain: 1_000 });
  let now = 0;
  const tracker = createTracker({ store, clock: () => (now += 3) });
  const state = initialCapturesState();
  const folds = new Map<number, { seq: string; inFlight: string; activity: string }>();
  const lines: string[] = [];
  let count = 0;
  /** Which tool calls fail, and the count of the log after each of their events. */
  const failing = new Map<string, boolean>();
  const failed: number[] = [];
  store.subscribe((event) => {
    evolveCaptures(state, event);
    count += 1;
    if (event.type === 'toolCall.started')
      failing.set(event.id, (event.data.args as { i: number }).i % 17 === 0);
    if (event.id !== undefined && failing.get(event.id)) failed.push(count);
    if (MILLION_AT.includes(count)) {
      const capture = snapshotCaptures(state).captures[0]!;
      folds.set(count, {
        seq: String(event.seq),
        inFlight: String(capture.inFlight),
        activity: String(capture.activityVersion),
      });
    }
    lines.push(encodeEvent(event));
    if (lines.length === 10_000) appendFileSync(path, `${lines.splice(0).join('\n')}\n`);
  });
  tracker.beginCapture('million');
  for (let i = 0; count < 1_000_000 - 10; i++) {
    const request = tracker.requestStarted('million');
    const call = tracker.toolCallStarted({ request, toolName: `tool-${i % 3}`, args: { i } });
    tracker.toolCallResult(call, {
      outcome: i % 17 ? 'completed' : 'failed',
      isError: i % 17 === 0,
    });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
  }
  if (lines.length > 0) appendFileSync(path, `${lines.join('\n')}\n`);
  return { count, lastSeq: String(store.lastSeq()), folds, failed };
}

describe('inspector page over a 1,000,000-event recording', () => {
  it('opens at the end, scrubs to the fold of the whole log anywhere and filters all of it, holding one window', async () => {
    const path = join(dir, 'million.jsonl');
    const made = millionRecording(path);
    const server = await createInspector({ recording: path });
    try {
      const page = await suite.open(server.url);
      await seqShown(page, made.lastSeq, { timeout: 120_000 });
      const total = made.count.toLocaleString('en-US');
      expect(await page.textContent('#held')).toBe(
        `holding events ${(made.count - 999).toLocaleString('en-US')}–${total} of ${total}`,
      );
      for (const at of MILLION_AT) {
        const want = made.folds.get(at)!;
        await setScrubber(page, at);
        await seqShown(page, want.seq);
        await expect
          .poll(
            () =>
              page.$eval('#captures-body tr[data-key="million"]', (row) => ({
                inFlight: row.querySelector('.in-flight')!.textContent,
                activity: row.children[3]!.textContent,
              })),
            WAIT,
          )
          .toEqual({ inFlight: want.inFlight, activity: want.activity });
      }
      // Filtered, over the whole log: the failed calls' events before the cursor.
      const cursor = MILLION_AT[MILLION_AT.length - 1]!;
      const before = made.failed.filter((after) => after <= cursor).length;
      expect(before).toBeGreaterThan(30_000);
      await page.selectOption('#filter-outcome', 'failed');
      await waitForText(
        page,
        '#timeline-count',
        new RegExp(
          `^${before.toLocaleString('en-US')} of ${cursor.toLocaleString('en-US')} events$`,
        ),
      );
      // The page holds a window, not the log.
      expect(
        await page.evaluate(
          () =>
            (window as unknown as { toolflightInspector: PageHandle }).toolflightInspector.log
              .length,
        ),
      ).toBeLessThan(3_000);
    } finally {
      await server.close();
    }
  }, 240_000);
});

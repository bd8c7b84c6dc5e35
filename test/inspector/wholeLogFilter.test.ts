// The timeline's filters over a recording longer than a window, in Chromium: the page holds one
// window, and a filter looks through the whole log on the server (`/matches`). Counts and rows
// are checked against a reference computed from the events; a row takes the page to its event.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  type ToolflightEvent,
} from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import type { TimelineFilter } from '../../src/inspector/page/timelineFilter.js';
import { none, reference } from './matchReference.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const WINDOW = 200;

/**
 * Tool calls of three tools, a few failing or timing out along the whole log, and one tool
 * (`rare`) called only near the start: far from the end's window, where a page opens.
 */
function recording(calls: number): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 1_000;
  const tracker = createTracker({ store, clock: () => (now += 3) });
  tracker.beginCapture('run');
  for (let i = 0; i < calls; i++) {
    const request = tracker.requestStarted('run');
    tracker.requestClassified(request, { method: 'tools/call' });
    const toolName = i === 3 || i === 9 ? 'rare' : ['search', 'deploy', 'send'][i % 3]!;
    const call = tracker.toolCallStarted({ request, toolName, args: { query: `q${i}` } });
    const outcome = i % 47 === 5 ? 'failed' : i % 61 === 7 ? 'timed_out' : 'completed';
    tracker.toolCallResult(call, { outcome, isError: outcome !== 'completed' });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
  }
  return [...store.read()];
}

const EVENTS = recording(1_200);
const dir = mkdtempSync(join(tmpdir(), 'toolflight-whole-filter-'));
const file = join(dir, 'run.jsonl');
writeFileSync(file, EVENTS.map((event) => `${encodeEvent(event)}\n`).join(''));

const suite = chromiumSuite();
let inspector: Inspector | undefined;
afterAll(async () => {
  await inspector?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The page at `fragment`, holding the end's window, with a timeline tall enough for 100 rows. */
async function open(fragment = ''): Promise<Page> {
  inspector ??= await createInspector({ recording: file }, { windowEvents: WINDOW });
  const page = await suite.open(`${inspector.url}${fragment}`);
  await page.addStyleTag({ content: '#timeline{flex:none;height:2200px}' });
  await waitForText(page, '#held', /^holding events/);
  await waitForText(page, '#status', /^live$/);
  return page;
}

/** The reference's matches among the first `before` events, as the seqs the rows show. */
const expectedSeqs = (filter: Partial<TimelineFilter>, before = EVENTS.length) =>
  reference(EVENTS, { ...none, ...filter })
    .filter((index) => index < before)
    .map((index) => EVENTS[index]!.seq);

/** The rows drawn, once none is still waiting for the server (`…`). */
async function rowsShown(page: Page): Promise<number[]> {
  await page.waitForFunction(
    () =>
      document.querySelectorAll('#timeline .row').length > 0 &&
      !Array.from(document.querySelectorAll('#timeline .row')).some((r) => r.textContent === '…'),
    undefined,
    WAIT,
  );
  return page.$$eval('#timeline .row', (rows) =>
    rows.map((row) => Number((row as HTMLElement).dataset.seq)),
  );
}

/** The count the timeline shows for `matches` of the first `of` events. */
const counted = (matches: number, of: number) =>
  new RegExp(`^${matches.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} events$`);

describe('the timeline filtered over a recording longer than the window held', () => {
  it('counts and lists the matches of the whole log, not of the window held', async () => {
    const page = await open();
    const filters: Partial<TimelineFilter>[] = [
      { outcome: 'failed' },
      { outcome: 'failure', tool: 'deploy' },
      { search: 'Q117' },
    ];
    expect(expectedSeqs({ outcome: 'failed' }, EVENTS.length - WINDOW).length).toBeGreaterThan(10);
    for (const filter of filters) {
      await page.selectOption('#filter-outcome', filter.outcome ?? '');
      await page.selectOption('#filter-tool', filter.tool ?? '');
      await page.fill('#search', filter.search ?? '');
      const expected = expectedSeqs(filter);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(100); // every row fits the timeline
      await waitForText(page, '#timeline-count', counted(expected.length, EVENTS.length));
      await expect.poll(() => rowsShown(page), WAIT).toEqual(expected);
    }
  }, 60_000);

  it('takes the page to a match outside the window held when its row is clicked', async () => {
    const page = await open();
    await page.selectOption('#filter-outcome', 'timed_out');
    const expected = reference(EVENTS, { ...none, outcome: 'timed_out' });
    await waitForText(page, '#timeline-count', counted(expected.length, EVENTS.length));
    await expect.poll(() => rowsShown(page), WAIT).toEqual(expected.map((i) => EVENTS[i]!.seq));
    // The first: far before the end's window.
    const target = expected[0]!;
    expect(target).toBeLessThan(EVENTS.length - WINDOW);
    await page.click(`#timeline .row[data-seq="${EVENTS[target]!.seq}"]`);
    await waitForText(page, '#seq', new RegExp(`^seq ${EVENTS[target]!.seq} /`));
    await waitForText(page, '#detail', new RegExp(`"seq": ${EVENTS[target]!.seq},`));
    // The cursor is just past it: it is the one match before the cursor, and selected.
    await waitForText(page, '#timeline-count', counted(1, target + 1));
    await page.waitForSelector(`#timeline .row.sel[data-seq="${EVENTS[target]!.seq}"]`, WAIT);
    const held = (await page.textContent('#held'))!;
    expect(held).not.toMatch(new RegExp(`–${EVENTS.length.toLocaleString('en-US')} of`));
  }, 60_000);

  it('offers a tool seen only outside the window held, and restores it from a permalink', async () => {
    const rare = expectedSeqs({ tool: 'rare' });
    expect(rare.length).toBeGreaterThan(0);
    const page = await open();
    const tools = await page.$$eval('#filter-tool option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    expect(tools).toEqual(['', 'deploy', 'rare', 'search', 'send']);
    await page.selectOption('#filter-tool', 'rare');
    await waitForText(page, '#timeline-count', counted(rare.length, EVENTS.length));
    await expect.poll(() => rowsShown(page), WAIT).toEqual(rare);
    const linked = await open('#tool=rare');
    expect(await linked.$eval('#filter-tool', (s) => (s as HTMLSelectElement).value)).toBe('rare');
    await waitForText(linked, '#timeline-count', counted(rare.length, EVENTS.length));
  }, 60_000);

  it('draws the rows scrolled to as they come, over more matches than the server sends at once', async () => {
    const page = await open();
    await page.addStyleTag({ content: '#timeline{height:400px}' });
    await page.selectOption('#filter-tool', 'search');
    const expected = expectedSeqs({ tool: 'search' });
    expect(expected.length).toBeGreaterThan(1_000);
    await waitForText(page, '#timeline-count', counted(expected.length, EVENTS.length));
    // Following the end, the newest are in view; then the first ones, and the middle.
    for (const rank of [expected.length - 1, 0, 700]) {
      await page.$eval('#timeline', (list, top) => (list.scrollTop = top), rank * 22);
      await expect
        .poll(async () => (await rowsShown(page)).includes(expected[rank]!), WAIT)
        .toBe(true);
      const rows = await rowsShown(page);
      const first = expected.indexOf(rows[0]!);
      expect(rows).toEqual(expected.slice(first, first + rows.length));
    }
  }, 60_000);
});

// Finding things in the inspector: the timeline filtered by outcome and by duration, jumps from
// failure to failure, and the filters in the permalink, over a recording made with the library.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  encodeEvent,
  type ToolflightEvent,
} from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const OUTCOMES = ['completed', 'failed', 'timed_out', 'blocked', 'cancelled', 'unknown'] as const;

/**
 * A run on an injected clock: one fast call of each outcome, a slow completed one, a request
 * answered with HTTP 503, one with a JSON-RPC error, and a call left open while time goes on.
 */
function recording(): ToolflightEvent[] {
  const store = createMemoryStore();
  let now = 1_000;
  const tracker = createTracker({ store, clock: () => now });
  tracker.beginCapture('run');
  const call = (outcome: (typeof OUTCOMES)[number], toolName: string, ms: number) => {
    const request = tracker.requestStarted('run');
    tracker.requestClassified(request, { method: 'tools/call' });
    const id = tracker.toolCallStarted({ request, toolName, args: { outcome } });
    tracker.toolCallPrepared(id, { args: { outcome } });
    now += ms;
    tracker.toolCallResult(id, { outcome, isError: outcome !== 'completed' });
    tracker.toolCallFinished(id);
    tracker.requestFinished(request, { status: 200 });
    now += 5;
  };
  OUTCOMES.forEach((outcome, i) => call(outcome, i % 2 ? 'deploy' : 'search', 10));
  call('completed', 'deploy', 5_000);
  const refused = tracker.requestStarted('run');
  now += 20;
  tracker.requestFinished(refused, { status: 503 });
  const invalid = tracker.requestStarted('run');
  tracker.requestClassified(invalid, { method: 'tools/call' });
  tracker.requestFinished(invalid, { status: 200, error: { code: -32602, message: 'bad args' } });
  const openRequest = tracker.requestStarted('run');
  tracker.toolCallStarted({ request: openRequest, toolName: 'send', args: {} });
  now += 3_000;
  call('failed', 'search', 10);
  return [...store.read()];
}

/** The reference, computed in Node: each entity's outcome and duration as the whole log knows them. */
function entitiesOf(events: readonly ToolflightEvent[]) {
  const last = events[events.length - 1]!.at;
  const facts = new Map<string, { outcome?: string; start: number; end?: number }>();
  for (const event of events) {
    if (event.id === undefined) continue;
    if (event.type === 'request.started' || event.type === 'toolCall.started')
      facts.set(event.id, { start: event.at });
    const entity = facts.get(event.id)!;
    if (event.type === 'toolCall.result') entity.outcome = event.data.outcome;
    if (event.type === 'request.finished') {
      const failed = event.data.error !== undefined || (event.data.status ?? 0) >= 400;
      entity.outcome = failed ? 'failed' : 'completed';
    }
    if (event.type === 'request.finished' || event.type === 'toolCall.finished')
      entity.end = event.at;
  }
  return (id: string) => {
    const entity = facts.get(id)!;
    return { outcome: entity.outcome, ms: (entity.end ?? last) - entity.start };
  };
}

const EVENTS = recording();
const entity = entitiesOf(EVENTS);
const seqsOf = (passes: (facts: ReturnType<typeof entity>) => boolean) =>
  EVENTS.filter((e) => e.id !== undefined && passes(entity(e.id))).map((e) => e.seq);
const FAILURES = EVENTS.filter(
  (e) =>
    (e.type === 'toolCall.result' || e.type === 'request.finished') &&
    entity(e.id).outcome !== 'completed',
).map((e) => e.seq);

const { cleanups, open: openUrl } = chromiumSuite();
let dir: string;
let inspector: Inspector;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'toolflight-find-'));
  const file = join(dir, 'find.jsonl');
  writeFileSync(file, EVENTS.map((event) => `${encodeEvent(event)}\n`).join(''));
  inspector = await createInspector({ recording: file });
}, 60_000);
afterAll(async () => {
  await inspector?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The page at `fragment`, with the history in and a timeline tall enough to draw every row. */
async function open(fragment = ''): Promise<Page> {
  const page = await openUrl(`${inspector.url}${fragment}`);
  await page.addStyleTag({ content: '#timeline{flex:none;height:4000px}' });
  await waitForText(page, '#seq', new RegExp(`/ ${EVENTS.length}$`));
  return page;
}

/** Wait until the timeline shows exactly the `expected` seqs, and counts them. */
async function expectShown(page: Page, expected: readonly number[]): Promise<void> {
  const rows = () =>
    page.$$eval('#timeline .row', (all) =>
      all.map((row) => Number((row as HTMLElement).dataset.seq)),
    );
  await expect.poll(rows, WAIT).toEqual(expected);
  await waitForText(page, '#timeline-count', new RegExp(`^${expected.length} of `));
}

describe('finding things in the inspector', () => {
  it('filters by each outcome: exactly the events of the entities settled with it', async () => {
    const page = await open();
    expect(FAILURES.length).toBeGreaterThan(6);
    for (const outcome of OUTCOMES) {
      await page.selectOption('#filter-outcome', outcome);
      const expected = seqsOf((e) => e.outcome === outcome);
      expect(expected.length).toBeGreaterThan(0);
      await expectShown(page, expected);
    }
    await page.selectOption('#filter-outcome', 'failure');
    const failures = seqsOf((e) => e.outcome !== undefined && e.outcome !== 'completed');
    await expectShown(page, failures);
    await page.selectOption('#filter-outcome', '');
    await waitForText(
      page,
      '#timeline-count',
      new RegExp(`^${EVENTS.length} of ${EVENTS.length} `),
    );
  }, 60_000);

  it('filters by duration, an open call counting up to the log last event, and with the others', async () => {
    // The reference holds the open call (tool send, ~3 s to the log's end) above 1 s, none above 9 s.
    expect(seqsOf((e) => e.ms >= 1_000).some((seq) => entityTool(seq) === 'send')).toBe(true);
    expect(seqsOf((e) => e.ms >= 9_000)).toEqual([]);
    const page = await open();
    for (const ms of [0, 15, 1_000, 4_000, 9_000]) {
      await page.fill('#filter-slower', String(ms));
      const expected = seqsOf((e) => e.ms >= ms);
      await expectShown(page, expected);
    }
    // With the tool filter: the 5 s deploy only, not the open send call nor the fast deploys.
    await page.fill('#filter-slower', '1000');
    await page.selectOption('#filter-tool', 'deploy');
    const slowDeploys = seqsOf((e) => e.ms >= 1_000).filter((seq) => entityTool(seq) === 'deploy');
    await expectShown(page, slowDeploys);
    await page.fill('#filter-slower', '');
    await page.selectOption('#filter-tool', '');
    await waitForText(page, '#timeline-count', new RegExp(`^${EVENTS.length} of `));
  }, 60_000);

  it('jumps through exactly the failures in order, both ways, and stops at each end', async () => {
    const page = await open();
    const at = async (seq: number) => {
      await waitForText(page, '#detail', new RegExp(`"seq": ${seq},`));
      await waitForText(page, '#seq', new RegExp(`^seq ${seq} /`));
    };
    // From the end with nothing selected: nothing after, then back through every failure.
    await page.click('#next-failure');
    await waitForText(page, '#find-status', /no failure after/);
    for (const seq of [...FAILURES].reverse()) {
      await page.click('#prev-failure');
      await at(seq);
    }
    await page.click('#prev-failure');
    await waitForText(page, '#find-status', /no failure before/);
    await at(FAILURES[0]!);
    for (const seq of FAILURES.slice(1)) {
      await page.click('#next-failure');
      await at(seq);
    }
    await page.click('#next-failure');
    await waitForText(page, '#find-status', /no failure after/);
    await at(FAILURES[FAILURES.length - 1]!);
    expect(await page.getAttribute('#live', 'class')).not.toContain('on');
    expect(await page.getAttribute('#next-failure', 'title')).toMatch(/\bn\b/);
    expect(await page.getAttribute('#prev-failure', 'title')).toMatch(/\bN\b/);
  }, 60_000);

  it('keeps the filters and the selection in the permalink, across a reload and an edit', async () => {
    const page = await open();
    await page.selectOption('#filter-outcome', 'failure');
    await page.selectOption('#filter-tool', 'search');
    const searchFailures = seqsOf(
      (e) => e.outcome !== undefined && e.outcome !== 'completed',
    ).filter((seq) => entityTool(seq) === 'search');
    await expectShown(page, searchFailures);
    await page.locator('#timeline .row').first().click();
    const first = searchFailures[0]!;
    await expect
      .poll(() => new URL(page.url()).hash)
      .toMatch(new RegExp(`^#(seq=\\d+&)?event=${first}&outcome=failure&tool=search$`));

    await page.reload();
    await page.addStyleTag({ content: '#timeline{flex:none;height:4000px}' });
    await waitForText(page, '#detail', new RegExp(`"seq": ${first},`));
    expect(await page.inputValue('#filter-outcome')).toBe('failure');
    expect(await page.inputValue('#filter-tool')).toBe('search');
    const expected = searchFailures.filter((seq) => seq <= cursorSeq(page.url()));
    await expectShown(page, expected);

    // An edited fragment: absent filters are cleared, the new ones set.
    await page.evaluate(() => (location.hash = '#slower=1000&q=deploy'));
    const slow = seqsOf((e) => e.ms >= 1_000).filter((seq) =>
      JSON.stringify(EVENTS[seq - 1])
        .toLowerCase()
        .includes('deploy'),
    );
    await expectShown(page, slow);
    expect(await page.inputValue('#filter-outcome')).toBe('');
    expect(await page.inputValue('#filter-slower')).toBe('1000');
    expect(await page.inputValue('#search')).toBe('deploy');
    await expect.poll(() => new URL(page.url()).hash).toMatch(/slower=1000&q=deploy$/);
  }, 60_000);

  it('follows live: a later result or the passing time brings in the earlier events', async () => {
    let now = 1_000;
    const tracker = createTracker({ store: createMemoryStore(), clock: () => now });
    tracker.beginCapture('live');
    const live = await createInspector({ tracker });
    cleanups.push(() => live.close());
    const page = await openUrl(live.url);
    await waitForText(page, '#status', /^live$/);
    await page.selectOption('#filter-outcome', 'failed');
    const call = tracker.toolCallStarted({ capture: 'live', toolName: 'deploy', args: {} });
    await waitForText(page, '#timeline-count', /^0 of 2 events$/);
    tracker.toolCallResult(call, { outcome: 'failed', isError: true });
    // The result makes the call failed: its started event, scanned before, now passes too.
    await waitForText(page, '#timeline-count', /^2 of 3 events$/);

    await page.selectOption('#filter-outcome', '');
    await page.fill('#filter-slower', '1000');
    tracker.toolCallFinished(call);
    tracker.toolCallStarted({ capture: 'live', toolName: 'send', args: {} }); // left open
    await waitForText(page, '#timeline-count', /^0 of 5 events$/);
    now += 1_500;
    tracker.toolCallResult(
      tracker.toolCallStarted({ capture: 'live', toolName: 'send', args: {} }),
      {
        outcome: 'completed',
        isError: false,
      },
    );
    // Still open, it lasts up to the log's last event: 1.5 s now, so it is slower than 1 s.
    await waitForText(page, '#timeline-count', /^1 of 7 events$/);
  }, 60_000);

  it('ignores a hostile fragment without an error, on load and as an edit', async () => {
    const long = 'x'.repeat(20_000);
    const page = await open(`#outcome=<script>&slower=-5&seq=abc&type=${long}&q=${long}`);
    await waitForText(
      page,
      '#timeline-count',
      new RegExp(`^${EVENTS.length} of ${EVENTS.length} `),
    );
    for (const id of ['#filter-outcome', '#filter-slower', '#filter-type', '#search'])
      expect(await page.inputValue(id)).toBe('');
    expect(await page.locator('#filters script').count()).toBe(0);

    // A filter set, then a fragment the page cannot use: the filter stays, nothing throws.
    await page.evaluate(() => (location.hash = '#outcome=blocked'));
    const blocked = seqsOf((e) => e.outcome === 'blocked');
    await expectShown(page, blocked);
    await page.evaluate(
      (value) => (location.hash = `#outcome=%3Cimg%20src=x%3E&slower=1e999&tool=${value}`),
      long,
    );
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#(seq=\d+&)?outcome=blocked$/);
    await expectShown(page, blocked);
    expect(await page.inputValue('#filter-slower')).toBe('');
  }, 60_000);
});

/** The tool of the tool call an event belongs to (a request's events have none). */
function entityTool(seq: number): string | undefined {
  const id = EVENTS[seq - 1]!.id;
  const started = EVENTS.find((e) => e.type === 'toolCall.started' && e.id === id);
  return started?.type === 'toolCall.started' ? started.data.toolName : undefined;
}

/** The cursor's seq in a permalink. */
const cursorSeq = (url: string): number =>
  Number(new URLSearchParams(new URL(url).hash.slice(1)).get('seq') ?? Infinity);

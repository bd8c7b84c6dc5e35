import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  decodeEvent,
  evolveCaptures,
  initialCapturesState,
  snapshotCaptures,
} from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import { chromiumSuite, startLiveHost, WAIT, waitForText, type LiveHost } from './support.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'reused-key.jsonl');
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'test-output', 'inspector.png');

const { browser, cleanups, open } = chromiumSuite();

const openPage = (inspector: Inspector) => open(inspector.url);

/** A live host's tracker in the inspector, and its page once it is live. */
async function openLive(): Promise<{ host: LiveHost; page: Page }> {
  const host = await startLiveHost();
  cleanups.push(() => host.close());
  const inspector = await createInspector({ tracker: host.tracker, title: 'demo' });
  cleanups.push(() => inspector.close());
  const page = await openPage(inspector);
  await waitForText(page, '#status', /^live$/);
  return { host, page };
}

describe('inspector page in Chromium', () => {
  it('shows a live tool call started then finished, scrubs back to it in flight, filters and masks', async () => {
    const { host, page } = await openLive();

    const call = host.client.callTool({ name: 'deploy', arguments: { service: 'api' } });
    await host.gate.started;
    const row = '#entities [data-id="tc_1"]';
    await waitForText(page, `${row} .state`, /^(started|prepared)$/);
    await waitForText(page, `${row} .duration`, /^running$/);
    await waitForText(page, '#captures-body [data-key="demo-run"] .idle-state', /^busy$/);
    const startedSeq = [...host.tracker.store.read()].find(
      (event) => event.type === 'toolCall.started',
    )!.seq;

    host.gate.release();
    await call;
    await waitForText(page, `${row} .state`, /^finished$/);
    await waitForText(page, `${row} .outcome`, /^completed$/);

    // A call whose arguments carry a secret: the page never shows its value.
    await host.client.callTool({
      name: 'send',
      arguments: {
        to: '#ops',
        apiKey: 'sk-live-4242',
        password: 'hunter2',
        headers: ['Authorization: Bearer tok-777abc'],
        idempotencyKey: 'k-visible',
      },
    });
    await waitForText(page, '#entities [data-id="tc_2"] .outcome', /^completed$/);
    await page.click('#entities [data-id="tc_2"]');
    await waitForText(page, '#detail', /"to": "#ops"/);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('••••••');
    expect(text).not.toContain('sk-live-4242');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('tok-777abc');
    expect(text).toContain('k-visible');

    // Time travel: back to the seq where tc_1 had just started.
    await page.locator('#scrubber').fill(String(startedSeq));
    await waitForText(page, '#seq', new RegExp(`^seq ${startedSeq} /`));
    await waitForText(page, `${row} .state`, /^started$/);
    await waitForText(page, `${row} .duration`, /^running$/);
    await waitForText(page, '#captures-body [data-key="demo-run"] .idle-state', /^busy$/);
    expect(await page.locator('#entities [data-id="tc_2"]').count()).toBe(0);
    // One step forward and back again, through the buttons.
    await page.click('#step-fwd');
    await waitForText(page, '#seq', new RegExp(`^seq ${startedSeq + 1} /`));
    await page.click('#step-back');
    await waitForText(page, '#seq', new RegExp(`^seq ${startedSeq} /`));

    // Back to live, then filter the timeline by type and by tool.
    await page.click('#live');
    await waitForText(page, `${row} .state`, /^finished$/);
    await page.selectOption('#filter-type', 'toolCall.result');
    await waitForText(page, '#timeline-count', /^2 of /);
    const types = await page.$$eval('#timeline .row', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.type),
    );
    expect(types).toEqual(['toolCall.result', 'toolCall.result']);
    await page.selectOption('#filter-type', '');
    await page.selectOption('#filter-tool', 'deploy');
    await waitForText(page, '#timeline-count', /^4 of /);
    await page.selectOption('#filter-tool', '');
    await page.fill('#search', 'apikey');
    await waitForText(page, '#timeline-count', /^2 of /);
    // Search runs over what the page shows: a secret value is not found.
    await page.fill('#search', 'hunter2');
    await waitForText(page, '#timeline-count', /^0 of /);
    await page.fill('#search', '');

    // The main view, with the first call's machine, for the README.
    await page.click('#entities [data-id="tc_1"]');
    await waitForText(page, '#diagram-title', /tc_1/);
    // The machine diagram marks the current state and the path that led there.
    await page.waitForSelector('#diagram g.current[data-state="finished"]', WAIT);
    await page.locator('#scrubber').fill(String(startedSeq));
    await page.waitForSelector('#diagram g.current[data-state="started"]', WAIT);
    await page.click('#live');
    await page.waitForSelector('#diagram g.current[data-state="finished"]', WAIT);
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(readFileSync(SCREENSHOT).length).toBeGreaterThan(10_000);
  }, 90_000);

  it('keeps lists virtualised with 30,000 events: the DOM holds only the rows in view', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('big');
    while (tracker.store.lastSeq() < 30_000) {
      const call = tracker.toolCallStarted({ capture: 'big', toolName: 'send', args: {} });
      tracker.toolCallResult(call, { outcome: 'completed', isError: false });
      tracker.toolCallFinished(call);
    }
    const count = tracker.store.lastSeq();
    const inspector = await createInspector({ tracker });
    cleanups.push(() => inspector.close());
    const page = await openPage(inspector);
    await waitForText(page, '#timeline-count', new RegExp(`^${count.toLocaleString('en-US')} of `));
    expect(await page.locator('#timeline .row').count()).toBeLessThan(120);
    expect(await page.locator('#entities .row').count()).toBeLessThan(120);
    // Scrubbing far back and forth still folds and shows the right point.
    await page.locator('#scrubber').fill('3000');
    await waitForText(page, '#seq', /^seq 3000 \//);
    await waitForText(page, '#entities-title', /\(1000\)$/);
  }, 60_000);

  it('draws the timeline once when it opens at the end (regression: it drew the rows at the top, then again at the end it scrolled to)', async () => {
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('long');
    while (tracker.store.lastSeq() < 300) {
      const call = tracker.toolCallStarted({ capture: 'long', toolName: 'send', args: {} });
      tracker.toolCallFinished(call);
    }
    const last = tracker.store.lastSeq();
    const inspector = await createInspector({ tracker });
    cleanups.push(() => inspector.close());
    const context = await browser().newContext({ viewport: { width: 1440, height: 900 } });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    // Each draw of the timeline's rows is one change of its children that adds rows.
    await page.addInitScript(() => {
      (window as unknown as { timelineDraws: number }).timelineDraws = 0;
      new MutationObserver((records) => {
        for (const record of records) {
          const target = record.target as HTMLElement;
          const rows = Array.from(record.addedNodes).some(
            (node) => node instanceof HTMLElement && node.classList.contains('row'),
          );
          if (target.id === 'timeline' && rows)
            (window as unknown as { timelineDraws: number }).timelineDraws += 1;
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(inspector.url);
    await waitForText(page, '#status', /^live$/);
    await page.waitForSelector(`#timeline .row[data-seq="${last}"]`, WAIT);
    expect(
      await page.evaluate(() => (window as unknown as { timelineDraws: number }).timelineDraws),
    ).toBe(1);
  });

  it('shows the outbox at the cursor: pending, delivered, dead letters with reasons, escaped', async () => {
    let now = 1_000;
    const tracker = createTracker({ store: createMemoryStore(), clock: () => now++ });
    tracker.beginCapture('run-1');
    const hostile = '<img src=x onerror="window.pwned=1">';
    tracker.note('outbox.enqueued', { key: 'k-1', tool: 'append_note' });
    tracker.note('outbox.enqueued', { key: hostile, tool: 'append_note' });
    tracker.note('outbox.enqueued', { key: 'k-3', tool: 'tag' });
    tracker.note('outbox.delivered', { key: 'k-1', tool: 'append_note' });
    tracker.note('outbox.rejected', {
      key: hostile,
      tool: 'append_note',
      reason: 'HTTP 422 no (TOKEN=abc123)',
    });
    const inspector = await createInspector({ tracker });
    cleanups.push(() => inspector.close());
    const page = await openPage(inspector);
    await waitForText(page, '#outbox-counts', /^1 pending · 1 delivered · 1 dead$/);
    const rows = await page.$$eval('#outbox-body tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent).join('|')),
    );
    // Reasons quote the upstream, credentials included: masked; keys are shown for `retry`.
    expect(rows).toEqual([`${hostile}|append_note|HTTP 422 no (TOKEN=••••••)`, 'k-3|tag|pending']);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    // Back before the delivery and the rejection: three pending.
    await page.locator('#scrubber').fill('4');
    await waitForText(page, '#outbox-counts', /^3 pending · 0 delivered · 0 dead$/);
    // Before the first outbox event, nothing is waiting yet.
    await page.locator('#scrubber').fill('1');
    await waitForText(page, '#seq', /^seq 1 \//);
    expect(await page.locator('#outbox-section').isVisible()).toBe(true);
    await waitForText(page, '#outbox-body', /^nothing waiting$/);
  }, 60_000);

  it('hides the outbox panel for a log without outbox events', async () => {
    const inspector = await createInspector({ recording: FIXTURE });
    cleanups.push(() => inspector.close());
    const page = await openPage(inspector);
    await waitForText(page, '#status', /^live$/);
    await waitForText(page, '#timeline-count', /events$/);
    expect(await page.locator('#outbox-section').isVisible()).toBe(false);
  }, 60_000);

  it('forgets the outbox and the inventory of the stream a longer recording replaces', async () => {
    // Regression: the outbox panel noticed a new log only when it was shorter than the old one.
    let now = 1_000;
    const tracker = createTracker({ store: createMemoryStore(), clock: () => now++ });
    tracker.note('outbox.enqueued', { key: 'k-1', tool: 'append_note' });
    tracker.note('upstream.changed', { server: 'fs', state: 'up' });
    const inspector = await createInspector({ tracker });
    cleanups.push(() => inspector.close());
    const page = await openPage(inspector);
    await waitForText(page, '#outbox-counts', /^1 pending/);
    await waitForText(page, '#inventory-counts', /^1 server/);
    await page.setInputFiles('#file', FIXTURE);
    await waitForText(page, '#source', /reused-key\.jsonl/);
    await waitForText(page, '#timeline-count', /^17 of 17 events$/);
    expect(await page.locator('#outbox-section').isVisible()).toBe(false);
    expect(await page.locator('#inventory-section').isVisible()).toBe(false);
  }, 60_000);

  it('loads a recording through the file input and folds it like the library', async () => {
    const inspector = await createInspector({ recording: FIXTURE });
    cleanups.push(() => inspector.close());
    const page = await openPage(inspector);
    await waitForText(page, '#status', /^live$/);
    const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n').length;
    // Start from an empty page state: load the same fixture through the input.
    await page.setInputFiles('#file', FIXTURE);
    await waitForText(page, '#status', new RegExp(`^${lines} events loaded$`));
    await waitForText(page, '#source', /reused-key\.jsonl/);
    await waitForText(page, '#timeline-count', new RegExp(`^${lines} of ${lines} events$`));
    const keys = await page.$$eval('#captures-body [data-key]', (rows) =>
      rows.map((r) => `${(r as HTMLElement).dataset.key}#${(r as HTMLElement).dataset.gen}`),
    );
    expect(keys).toContain('run-1#1');

    // At every few positions, the captures table matches the library's own fold.
    const events = readFileSync(FIXTURE, 'utf8')
      .trim()
      .split('\n')
      .map((line) => decodeEvent(line));
    for (let count = 1; count <= events.length; count += 3) {
      const state = initialCapturesState();
      for (const event of events.slice(0, count)) evolveCaptures(state, event);
      const expected = snapshotCaptures(state)
        .captures.map((c) => `${c.key}#${c.gen} ${c.inFlight} ${c.activityVersion}`)
        .join(',');
      await page.locator('#scrubber').fill(String(count));
      await page.waitForFunction(
        ([want, seq]) =>
          document.getElementById('seq')?.dataset.seq === seq &&
          Array.from(document.querySelectorAll<HTMLElement>('#captures-body [data-gen]'))
            .filter((row) => !row.querySelector('.gone'))
            .map((row) => {
              const cells = row.querySelectorAll('td');
              return `${row.dataset.key}#${row.dataset.gen} ${cells[2]?.textContent} ${cells[3]?.textContent}`;
            })
            .join(',') === want,
        [expected, String(events[count - 1]!.seq)],
        WAIT,
      );
    }

    // Export gives back the stream, line for line.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = readFileSync(await download.path(), 'utf8');
    expect(exported).toBe(readFileSync(FIXTURE, 'utf8'));

    // Drag-and-drop loads a recording too (here: its first 5 lines).
    const part = readFileSync(FIXTURE, 'utf8').split('\n').slice(0, 5).join('\n');
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'dropped.jsonl'));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: data, cancelable: true }));
    }, part);
    await waitForText(page, '#source', /dropped\.jsonl/);
    await waitForText(page, '#timeline-count', /^5 of 5 events$/);
  }, 60_000);

  it('leaves a page paused in a grace window alone: a countdown redraws only while following live (a timer per render redrew every view ten times a second)', async () => {
    const { host, page } = await openLive();
    // A grace window of ten minutes: the run stays in it for the whole test.
    await page.fill('#grace', '600000');
    await host.client.callTool({ name: 'send', arguments: { to: '#ops' } });
    const idle = '#captures-body [data-key="demo-run"] .idle-state';
    await waitForText(page, idle, /^grace \d+ ms$/);
    const redrawDue = () =>
      page.evaluate(
        () =>
          (window as unknown as { toolflightInspector: { redrawDue: boolean } }).toolflightInspector
            .redrawDue,
      );
    // Following live, the countdown is a clock: the page draws it again.
    await expect.poll(redrawDue, WAIT).toBe(true);
    // A step back and forward again: the same grace window, but paused, at the cursor's clock,
    // which stands still.
    await page.click('#step-back');
    await waitForText(page, idle, /^busy$/);
    await page.click('#step-fwd');
    await waitForText(page, idle, /^grace \d+ ms$/);
    await waitForText(page, '#status', /^live$/);
    await expect.poll(redrawDue, WAIT).toBe(false);
    const shown = await page.locator(idle).textContent();
    expect(shown).toMatch(/^grace \d+ ms$/);
    // Nothing is due: no frame or timer redraws the page until something changes.
    expect(await redrawDue()).toBe(false);
    expect(await page.locator(idle).textContent()).toBe(shown);
  }, 60_000);
});

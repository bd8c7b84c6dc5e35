import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import { decodeEvent, type ToolflightEvent } from '../../src/index.js';
import { createInspector, fleetFeed, type FleetFeed } from '../../src/inspector/index.js';
import { replay } from '../../src/replay/index.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const fixture = (name: string): ToolflightEvent[] =>
  readFileSync(join(import.meta.dirname, '..', 'fixtures', `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => decodeEvent(line));

/** Three logs of two hosts: host-a's second log is labelled `host-a#2`. */
const SOURCES = [
  { host: 'host-a', log: 'a-1.jsonl', label: 'host-a', events: fixture('quiet-run') },
  { host: 'host-b', log: 'b-1.jsonl', label: 'host-b', events: fixture('reused-key') },
  { host: 'host-a', log: 'a-2.jsonl', label: 'host-a#2', events: fixture('cleared-mid-call') },
];
/** Events of each source held back, pushed once the page is live. */
const LATE = 3;

/** The sources' events interleaved one at a time, as the merged log will hold them. */
function interleaved(): { source: (typeof SOURCES)[number]; event: ToolflightEvent }[] {
  const out: { source: (typeof SOURCES)[number]; event: ToolflightEvent }[] = [];
  const longest = Math.max(...SOURCES.map((s) => s.events.length - LATE));
  for (let i = 0; i < longest; i++) {
    for (const source of SOURCES) {
      const event = source.events[i];
      if (event && i < source.events.length - LATE) out.push({ source, event });
    }
  }
  for (let i = LATE; i > 0; i--) {
    for (const source of SOURCES)
      out.push({ source, event: source.events[source.events.length - i]! });
  }
  return out;
}

/**
 * What the library's fold of each host's own log says at the merged log's first `count`
 * events: `label captures inFlight idle`, hosts in the order first seen.
 */
function expectedHosts(order: ReturnType<typeof interleaved>, count: number): string {
  const upTo = new Map<string, number>();
  for (const { source, event } of order.slice(0, count)) upTo.set(source.label, event.seq);
  return [...upTo]
    .map(([label, until]) => {
      const own = SOURCES.find((s) => s.label === label)!.events;
      const { captures } = replay(own, { until }).snapshot;
      const inFlight = captures.reduce((sum, c) => sum + c.inFlight, 0);
      // The page's rule with no grace: busy while an active capture has work in flight.
      const busy = captures.some((c) => c.state === 'active' && c.inFlight > 0);
      const idle = captures.length === 0 ? 'no capture' : busy ? 'busy' : 'idle';
      return `${label} ${captures.length} ${inFlight} ${idle}`;
    })
    .join(',');
}

/** The seq at the cursor and the hosts table, as `expectedHosts` writes them. */
const shownHosts = (page: Page, want: string, seq: number) =>
  expect
    .poll(
      () =>
        page.evaluate(
          () =>
            `${document.getElementById('seq')?.dataset.seq}|${Array.from(
              document.querySelectorAll<HTMLElement>('#fleet-body [data-host]'),
              (row) =>
                [
                  row.dataset.host,
                  row.querySelector('.captures')?.textContent,
                  row.querySelector('.in-flight')?.textContent,
                  row.querySelector('.idle-state')?.textContent,
                ].join(' '),
            ).join(',')}`,
        ),
      { timeout: 5_000 },
    )
    .toBe(`${seq}|${want}`);

const { cleanups, open } = chromiumSuite();

describe('the inspector’s fleet view in Chromium', () => {
  it('shows each host’s captures, filters by host, folds each host like its own log, and takes live pushes', async () => {
    const order = interleaved();
    const early = order.length - LATE * SOURCES.length;
    const feed: FleetFeed = fleetFeed();
    for (const { source, event } of order.slice(0, early))
      feed.push(source.host, source.log, event);
    const inspector = await createInspector({ feed, title: 'fleet', fleet: true });
    cleanups.push(() => inspector.close());
    const page = await open(inspector.url);
    await waitForText(page, '#status', /^live$/);
    await waitForText(page, '#timeline-count', new RegExp(`^${early} of ${early} events$`));
    await page.fill('#grace', '0');

    // The host column: each capture under its host, its own key beside it.
    const captures = () =>
      page.$$eval('#captures-body [data-key]', (rows) =>
        rows.map((row) =>
          Array.from(row.querySelectorAll('td'))
            .slice(0, 3)
            .map((td) => td.textContent)
            .join(' '),
        ),
      );
    expect(await page.$$eval('#captures th', (ths) => ths.map((th) => th.textContent))).toEqual([
      'host',
      'key',
      'gen',
      'in flight',
      'activity',
      'idle',
    ]);
    // Generations are the merged log's, numbered apart in the order they began.
    const all = await captures();
    expect(all.filter((row) => row.startsWith('host-b '))).toEqual([
      'host-b run-1 2',
      'host-b run-1 4',
    ]);
    expect(all).toContain('host-a run-1 1');
    expect(all).toContain('host-a#2 run-1 3');

    // The host filter: one host's captures and events, then every host again.
    await page.selectOption('#filter-host', 'host-b');
    const ofB = order.slice(0, early).filter(({ source }) => source.label === 'host-b').length;
    await waitForText(page, '#timeline-count', new RegExp(`^${ofB} of ${early} events$`));
    expect(await captures()).toEqual(['host-b run-1 2', 'host-b run-1 4']);
    const rowHosts = await page.$$eval('#timeline .row .host', (spans) =>
      spans.map((span) => span.textContent),
    );
    expect(new Set(rowHosts)).toEqual(new Set(['host-b']));
    await page.selectOption('#filter-host', '');
    await waitForText(page, '#timeline-count', new RegExp(`^${early} of ${early} events$`));

    // Live pushes: the rest of each log, interleaved.
    for (const { source, event } of order.slice(early)) feed.push(source.host, source.log, event);
    const total = order.length;
    await waitForText(page, '#timeline-count', new RegExp(`^${total} of ${total} events$`));
    await shownHosts(page, expectedHosts(order, total), total);

    // Time travel over the merged log: each host as its own log folds at the matching point.
    for (let count = 1; count < total; count += 4) {
      await page.locator('#scrubber').fill(String(count));
      await shownHosts(page, expectedHosts(order, count), count);
    }
    const busyAt = order.findIndex((_, i) => expectedHosts(order, i + 1).includes('busy')) + 1;
    await page.locator('#scrubber').fill(String(busyAt));
    await shownHosts(page, expectedHosts(order, busyAt), busyAt);
    await page.waitForSelector('#fleet-body .idle-state.busy', WAIT);

    // A host's row picks it in the filter.
    await page.click('#fleet-body [data-host="host-a#2"]');
    expect(await page.locator('#filter-host').inputValue()).toBe('host-a#2');
    await page.click('#live');
    await waitForText(page, '#seq', new RegExp(`^seq ${total} /`));
    const screenshot = join(mkdtempSync(join(tmpdir(), 'toolflight-fleet-')), 'fleet.png');
    await page.screenshot({ path: screenshot });
    expect(readFileSync(screenshot).length).toBeGreaterThan(10_000);
  }, 40_000);

  it('shows a feed that is not a fleet as it shows any log: no host column, no hosts table', async () => {
    const events = fixture('quiet-run');
    const feed = {
      history: (after: number) => events.filter((event) => event.seq > after),
      lastSeq: () => events.length,
      subscribe: () => () => undefined,
      close: () => undefined,
    };
    const inspector = await createInspector({ feed, title: 'plain feed' });
    cleanups.push(() => inspector.close());
    const page = await open(inspector.url);
    await waitForText(page, '#timeline-count', new RegExp(`^${events.length} of `));
    await waitForText(page, '#source', /^plain feed$/);
    expect(await page.locator('#fleet-section').count()).toBe(0);
    expect(await page.locator('#filter-host').count()).toBe(0);
    expect(await page.locator('#timeline .row .host').count()).toBe(0);
    expect(await page.$$eval('#captures th', (ths) => ths[0]?.textContent)).toBe('key');
  }, 20_000);
});

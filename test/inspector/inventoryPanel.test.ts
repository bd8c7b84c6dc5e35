// The inventory panel in Chromium: a gateway's servers at the scrubber, as the library folds them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  emptyInventory,
  encodeEvent,
  foldInventory,
  inventoryOf,
  type ToolflightEvent,
} from '../../src/index.js';
import { createInspector } from '../../src/inspector/index.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const { cleanups, open } = chromiumSuite();

const HOSTILE_TOOL = '<img src=x onerror="window.pwned=1">';

/**
 * A gateway's recording, one event a line, each at the time given: three servers configured,
 * `fs` up, listed (one tool with a hostile name), writing to stderr and exiting; `git` listed
 * under an older configuration; `web` refused and waiting to retry.
 */
function gatewayRecording(): ToolflightEvent[] {
  let now = 1_000;
  const tracker = createTracker({ store: createMemoryStore(), clock: () => now });
  const at = (ms: number) => (now = ms);
  tracker.beginCapture('run-1'); // seq 1
  tracker.note('gateway.configured', {
    servers: [
      { name: 'fs', config: 'cfg-fs-1', transport: 'stdio' },
      { name: 'git', config: 'cfg-git-2', transport: 'stdio' },
      { name: 'web', config: 'cfg-web-1', transport: 'http' },
    ],
  }); // 2
  at(2_000);
  tracker.note('upstream.changed', { server: 'fs', state: 'connecting' }); // 3
  at(2_500);
  tracker.note('upstream.changed', { server: 'fs', state: 'up' }); // 4
  at(3_000);
  tracker.note('catalog.listed', {
    server: 'fs',
    tools: [{ name: 'read_file' }, { name: HOSTILE_TOOL }],
    fingerprint: 'fp-fs',
    config: 'cfg-fs-1',
  }); // 5
  tracker.note('upstream.changed', { server: 'git', state: 'up' }); // 6
  at(4_000);
  tracker.note('catalog.listed', {
    server: 'git',
    tools: [{ name: 'log' }],
    fingerprint: 'fp-git',
    config: 'cfg-git-1',
  }); // 7
  tracker.note('upstream.changed', { server: 'web', state: 'connecting' }); // 8
  at(5_000);
  tracker.note('upstream.changed', {
    server: 'web',
    state: 'down',
    reason: 'ECONNREFUSED 127.0.0.1:9',
    retryInMs: 5_000,
  }); // 9
  at(6_000);
  tracker.note('upstream.changed', { server: 'fs', state: 'up', stderr: 'warning: disk low' }); // 10
  at(6_500);
  tracker.note('upstream.changed', {
    server: 'fs',
    state: 'up',
    stderr: '<img src=x onerror="window.pwned=2"> TOKEN=abc123',
  }); // 11
  at(15_000);
  tracker.note('upstream.changed', {
    server: 'fs',
    state: 'exited',
    reason: 'exit code 1 (API_KEY=sk-live-999)',
  }); // 12
  return [...tracker.store.read()];
}

/** Serve events as a recording file and open the page on it. */
async function openRecording(events: readonly ToolflightEvent[]): Promise<Page> {
  const dir = mkdtempSync(join(tmpdir(), 'toolflight-inventory-'));
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const file = join(dir, 'gateway.jsonl');
  writeFileSync(file, events.map((event) => `${encodeEvent(event)}\n`).join(''));
  const inspector = await createInspector({ recording: file });
  cleanups.push(() => inspector.close());
  const page = await open(inspector.url);
  await waitForText(page, '#status', /^live$/);
  await waitForText(page, '#timeline-count', new RegExp(`^${events.length} of `));
  return page;
}

/** Move the scrubber to `seq` (the recordings here start at seq 1: seq n is position n). */
async function scrubTo(page: Page, seq: number): Promise<void> {
  await page.locator('#scrubber').fill(String(seq));
  await waitForText(page, '#seq', new RegExp(`^seq ${seq} /`));
}

/** Wait until the panel's rows read `want`: server|state|catalog|notice|tools, one a server. */
async function waitForRows(page: Page, want: string[]): Promise<void> {
  await page
    .waitForFunction(
      (expected) => {
        const rows = Array.from(
          document.querySelectorAll('#inventory-body tr[data-server]'),
          (tr) => {
            const cells = Array.from(tr.querySelectorAll('td'));
            // The tool cell's list is in the DOM even while folded: read its summary.
            const tools = cells[4]?.querySelector('summary')?.textContent ?? cells[4]?.textContent;
            return [...cells.slice(0, 4).map((td) => td.textContent), tools].join('|');
          },
        );
        return JSON.stringify(rows) === JSON.stringify(expected);
      },
      want,
      WAIT,
    )
    .catch(async (error: unknown) => {
      const body = await page.locator('#inventory-body').innerText();
      throw new Error(`inventory rows never read ${JSON.stringify(want)}; they read:\n${body}`, {
        cause: error,
      });
    });
}

describe('inventory panel in Chromium', () => {
  it('shows each server at the cursor: notices, tools, a retry countdown, an exit with its stderr, a stale catalog', async () => {
    const events = gatewayRecording();
    const page = await openRecording(events);
    expect(await page.locator('#inventory-section').isVisible()).toBe(true);

    // Before the configuration, nothing to list yet.
    await scrubTo(page, 1);
    await waitForText(page, '#inventory-body', /^no server configured yet$/);
    await waitForText(page, '#inventory-hint', /^for run-1, before narrowing$/);

    // Configured, never connected.
    await scrubTo(page, 2);
    await waitForRows(page, [
      'fs|never|not listed|mcp-not-yet-connected|0',
      'git|never|not listed|mcp-not-yet-connected|0',
      'web|never|not listed|mcp-not-yet-connected|0',
    ]);
    await waitForText(page, '#inventory-counts', /^3 servers · 0 tools$/);

    // Up, not listed yet.
    await scrubTo(page, 4);
    await waitForRows(page, [
      'fs|up|not listed|mcp-not-yet-listed|0',
      'git|never|not listed|mcp-not-yet-connected|0',
      'web|never|not listed|mcp-not-yet-connected|0',
    ]);

    // Listed: its tools under their gateway names.
    await scrubTo(page, 5);
    await waitForRows(page, [
      'fs|up|listed just now||2 tools',
      'git|never|not listed|mcp-not-yet-connected|0',
      'web|never|not listed|mcp-not-yet-connected|0',
    ]);
    await page.click('#inventory-body details[data-server="fs"] summary');
    const library = inventoryOf(events.slice(0, 5).reduce(foldInventory, emptyInventory()));
    const names = library.servers[0]!.tools.map((tool) => tool.name);
    expect(names).toEqual(['fs__read_file', 'fs___img_src_x_onerror__window.pwned_1__']);
    const shown = () =>
      page.$$eval('#inventory-body details[data-server="fs"] li', (items) =>
        items.map((li) => (li as HTMLElement).innerText),
      );
    expect(await shown()).toEqual([names[0], `${names[1]} listed as ${HOSTILE_TOOL}`]);

    // A catalog listed under another configuration is stale: its tools are not served.
    await scrubTo(page, 7);
    await waitForRows(page, [
      'fs|up|listed 1 s ago||2 tools',
      'git|up|listed just now|mcp-stale-catalog|0',
      'web|never|not listed|mcp-not-yet-connected|0',
    ]);
    await waitForText(page, '#inventory-counts', /^3 servers · 2 tools$/);

    // Refused: down with its reason and the time to its next attempt, at the cursor's clock.
    await scrubTo(page, 9);
    await waitForText(
      page,
      '#inventory-body tr[data-server="web"] .inv-state',
      /^down: ECONNREFUSED 127\.0\.0\.1:9 · retry in 5 s$/,
    );
    await scrubTo(page, 11);
    await waitForText(page, '#inventory-body tr[data-server="web"] .inv-state', /retry in 4 s$/);
    // Stderr of a server that is up stays out of the way.
    expect(await page.locator('#inventory-body .inv-stderr').count()).toBe(0);

    // Exited: its reason and its stderr tail, masked; its last catalog is still served.
    await scrubTo(page, 12);
    await waitForRows(page, [
      'fs|exited: exit code 1 (API_KEY=••••••)|listed 12 s ago||2 tools',
      'git|up|listed 11 s ago|mcp-stale-catalog|0',
      'web|down: ECONNREFUSED 127.0.0.1:9 · retry due|not listed|mcp-not-yet-connected|0',
    ]);
    const stderr = page.locator('#inventory-body tr.inv-stderr[data-stderr-of="fs"] pre');
    expect(await stderr.isVisible()).toBe(true);
    expect(await stderr.innerText()).toBe(
      'warning: disk low\n<img src=x onerror="window.pwned=2"> TOKEN=••••••',
    );
    // The tool list the user opened stayed open through the redraws.
    expect(
      await page.locator('#inventory-body details[data-server="fs"]').getAttribute('open'),
    ).toBe('');
    expect(await shown()).toEqual([names[0], `${names[1]} listed as ${HOSTILE_TOOL}`]);

    // Hostile names and lines are text, never markup; secrets are never shown.
    expect(await page.locator('#inventory-section img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    const text = await page.locator('#inventory-section').innerText();
    expect(text).not.toContain('abc123');
    expect(text).not.toContain('sk-live-999');

    // Back to the start of the stretch: the fold moves back as well as forward.
    await scrubTo(page, 4);
    await waitForRows(page, [
      'fs|up|not listed|mcp-not-yet-listed|0',
      'git|never|not listed|mcp-not-yet-connected|0',
      'web|never|not listed|mcp-not-yet-connected|0',
    ]);
  }, 90_000);

  it('hides the panel for a log without gateway, catalog or upstream events, a context included', async () => {
    let now = 1_000;
    const tracker = createTracker({ store: createMemoryStore(), clock: () => now++ });
    tracker.beginCapture('run-1');
    tracker.note('context.changed', { context: { mode: 'read-only' } }, { capture: 'run-1' });
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: {} });
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
    const page = await openRecording([...tracker.store.read()]);
    expect(await page.locator('#inventory-section').isVisible()).toBe(false);
  }, 60_000);
});

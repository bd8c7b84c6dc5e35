// The inspector's look: light and dark palettes that follow the system (canvas and SVG too)
// with readable contrast, every keyboard shortcut of the table, and a layout that fits 1280 px.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker, type Tracker } from '../../src/index.js';
import { createInspector, type Inspector } from '../../src/inspector/index.js';
import { SHORTCUTS } from '../../src/inspector/page/keys.js';
import { chromiumSuite, WAIT, waitForText } from './support.js';

const OUTPUT = join(import.meta.dirname, '..', '..', 'test-output');

let tracker: Tracker;
let inspector: Inspector;
/** How many events the tracker holds (its seqs are 1..EVENTS). */
let EVENTS = 0;
const { open } = chromiumSuite();

/**
 * Two captures, overlapping calls (up to three in flight), one failure, two calls still
 * running: about 300 events, so that play takes seconds and a tenth of the log is 30 events.
 */
function busyTracker(): Tracker {
  let now = 1_000;
  const t = createTracker({ store: createMemoryStore(), clock: () => (now += 7) });
  t.beginCapture('nightly');
  t.beginCapture('deploy');
  const tools = ['send', 'search', 'deploy'];
  for (let round = 0; t.store.lastSeq() < 300; round++) {
    const calls = [0, 1, 2].map((i) =>
      t.toolCallStarted({
        capture: (round + i) % 2 ? 'nightly' : 'deploy',
        toolName: tools[(round + i) % 3]!,
        args: { to: '#ops', round },
      }),
    );
    calls.forEach((call, i) => {
      const failed = round === 20 && i === 1;
      t.toolCallResult(call, { outcome: failed ? 'failed' : 'completed', isError: failed });
      t.toolCallFinished(call);
    });
  }
  t.toolCallStarted({ capture: 'nightly', toolName: 'deploy', args: { service: 'api' } });
  t.toolCallStarted({ capture: 'deploy', toolName: 'send', args: { to: '#release' } });
  return t;
}

beforeAll(async () => {
  tracker = busyTracker();
  EVENTS = tracker.store.lastSeq();
  inspector = await createInspector({ tracker, title: 'look' });
}, 60_000);
afterAll(async () => {
  await inspector?.close();
});

/** The page, following live with every event in. */
async function openLive(fragment = ''): Promise<Page> {
  const page = await open(`${inspector.url}${fragment}`);
  await waitForText(page, '#status', /^live$/);
  await waitForText(page, '#seq', new RegExp(`^seq ${EVENTS} / ${EVENTS}$`));
  return page;
}

/** WCAG's contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
      const v = Number(c) / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colours the page shows now, as the browser computed them. */
const shownColors = (page: Page) =>
  page.evaluate(() => {
    const style = (selector: string) => getComputedStyle(document.querySelector(selector)!);
    return {
      bg: style('body').backgroundColor,
      fg: style('body').color,
      panel: style('section').backgroundColor,
      dim: style('section h2').color,
      rowDim: style('#timeline .row .t').color,
      selected: style('#captures-body tr.sel').backgroundColor,
      state: style('#diagram rect').fill,
    };
  });

/** The chart's pixels, and whether it shows the theme's cursor and series colours. */
const chartPixels = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.getElementById('chart') as HTMLCanvasElement;
    const rgb = (name: string) =>
      getComputedStyle(document.documentElement)
        .getPropertyValue(`--${name}`)
        .trim()
        .match(/[0-9a-f]{2}/gi)!
        .map((h) => parseInt(h, 16));
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    // Antialiased strokes keep their colour at a lower alpha: compare rgb only.
    const has = ([r, g, b]: number[], tolerance: number) => {
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! < 100) continue;
        const near = (k: number, want: number) => Math.abs(data[i + k]! - want) <= tolerance;
        if (near(0, r!) && near(1, g!) && near(2, b!)) return true;
      }
      return false;
    };
    return {
      url: canvas.toDataURL(),
      cursor: has(rgb('acc'), 0),
      series: has(rgb('busy'), 8),
    };
  });

describe('themes', () => {
  it('follows the system scheme, dark then light, with AA contrast, a recoloured chart and diagram, and writes both screenshots', async () => {
    const failed = [...tracker.store.read()].find(
      (event) => event.type === 'toolCall.result' && event.data.outcome === 'failed',
    )!;
    const page = await openLive(`#event=${failed.seq}`);
    await page.waitForSelector('#diagram g.current[data-state="finished"]', WAIT);
    await page.waitForSelector('#captures-body tr.sel', WAIT);
    mkdirSync(OUTPUT, { recursive: true });

    const seen: Record<string, Awaited<ReturnType<typeof shownColors>>> = {};
    const charts: Record<string, string> = {};
    // The page opens in the browser's default (light); each switch draws the chart again.
    expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: light)').matches)).toBe(
      true,
    );
    let previous = (await chartPixels(page)).url;
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForFunction(
        (before) => (document.getElementById('chart') as HTMLCanvasElement).toDataURL() !== before,
        previous,
        WAIT,
      );
      const colors = await shownColors(page);
      seen[scheme] = colors;
      for (const [text, ground] of [
        [colors.fg, colors.bg],
        [colors.fg, colors.panel],
        [colors.dim, colors.panel],
        [colors.rowDim, colors.panel],
        [colors.fg, colors.selected],
        [colors.dim, colors.selected],
      ] as const) {
        expect(contrast(text, ground), `${scheme}: ${text} on ${ground}`).toBeGreaterThanOrEqual(
          4.5,
        );
      }
      const chart = await chartPixels(page);
      expect(chart.cursor, `${scheme}: the cursor in the theme's accent`).toBe(true);
      expect(chart.series, `${scheme}: the series in the theme's colour`).toBe(true);
      charts[scheme] = chart.url;
      previous = chart.url;
      const file = join(OUTPUT, `inspector-${scheme}.png`);
      await page.screenshot({ path: file });
      expect(readFileSync(file).length).toBeGreaterThan(10_000);
    }
    const { dark, light } = seen as Record<'dark' | 'light', (typeof seen)[string]>;
    expect(light.bg).not.toBe(dark.bg);
    expect(light.fg).not.toBe(dark.fg);
    expect(light.selected).not.toBe(dark.selected);
    expect(light.state).not.toBe(dark.state);
    expect(charts.light).not.toBe(charts.dark);
    // Form controls follow the scheme too.
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe(
      'light dark',
    );
  }, 90_000);
});

describe('layout', () => {
  for (const [width, height] of [
    [1280, 800],
    [1440, 900],
  ] as const) {
    it(`fits ${width}×${height}: no horizontal scrollbar, headers wrap inside the page, readable columns`, async () => {
      const page = await openLive();
      await page.setViewportSize({ width, height });
      await expect
        .poll(() => page.evaluate(() => document.documentElement.clientWidth))
        .toBe(width);
      const layout = await page.evaluate(() => {
        const root = document.documentElement;
        const outside = Array.from(document.querySelectorAll('header > *, main *'))
          .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
          .map((e) => `${e.tagName}#${e.id}`);
        const columns = Array.from(
          document.querySelectorAll('main > *'),
          (e) => e.getBoundingClientRect().width,
        );
        return { scroll: root.scrollWidth, client: root.clientWidth, outside, columns };
      });
      expect(layout.scroll).toBe(layout.client);
      expect(layout.outside).toEqual([]);
      for (const column of layout.columns) expect(column).toBeGreaterThanOrEqual(420);
    }, 60_000);
  }
});

describe('keyboard shortcuts', () => {
  /** The table's keys the tests below are about; the last test checks none is left out. */
  const tested = new Set<string>();
  const keyTest = (keys: string[], title: string, body: () => Promise<void>) => {
    for (const key of keys) tested.add(key);
    it(title, body, 60_000);
  };
  const press = (page: Page, key: string) => page.keyboard.press(key);
  const atSeq = (page: Page, seq: number) =>
    waitForText(page, '#seq', new RegExp(`^seq ${seq} / ${EVENTS}$`));
  /** A big step (EVENTS is known once the tracker is built). */
  const tenth = () => Math.round(EVENTS / 10);
  const focused = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

  keyTest(['ArrowLeft', 'ArrowRight'], '← and → step one event, out of live', async () => {
    const page = await openLive();
    await press(page, 'ArrowLeft');
    await atSeq(page, EVENTS - 1);
    expect(await page.locator('#live').getAttribute('class')).not.toContain('on');
    await press(page, 'ArrowLeft');
    await atSeq(page, EVENTS - 2);
    await press(page, 'ArrowRight');
    await atSeq(page, EVENTS - 1);
  });

  keyTest(
    ['Home', 'Shift+ArrowLeft', 'Shift+ArrowRight', 'End', 'l'],
    'Home goes to the start, Shift+←/→ step a tenth of the log, End and l come back live',
    async () => {
      const page = await openLive();
      await press(page, 'Home');
      await atSeq(page, 0);
      await press(page, 'Shift+ArrowRight');
      await atSeq(page, tenth());
      await press(page, 'Shift+ArrowRight');
      await atSeq(page, 2 * tenth());
      await press(page, 'Shift+ArrowLeft');
      await atSeq(page, tenth());
      await press(page, 'End');
      await atSeq(page, EVENTS);
      await page.waitForSelector('#live.on', WAIT);
      await press(page, 'Home');
      await atSeq(page, 0);
      await press(page, 'l');
      await atSeq(page, EVENTS);
      await page.waitForSelector('#live.on', WAIT);
    },
  );

  keyTest([' '], 'Space plays and pauses', async () => {
    const page = await openLive();
    await press(page, 'Home');
    await atSeq(page, 0);
    await press(page, 'Space');
    await waitForText(page, '#play', /pause/);
    // Playing moves the cursor on by itself.
    await page.waitForFunction(() => Number(document.getElementById('seq')?.dataset.seq) > 3);
    await press(page, 'Space');
    await waitForText(page, '#play', /play/);
    const paused = await page.locator('#seq').textContent();
    expect(paused).not.toBe(`seq ${EVENTS} / ${EVENTS}`);
    expect(await page.evaluate(() => window.toolflightInspector.view.playing)).toBe(0);
  });

  keyTest(
    ['/', 'Escape'],
    '/ focuses the search and selects it; inside the field keys type, Escape leaves it',
    async () => {
      const page = await openLive();
      await page.fill('#search', 'deploy');
      await page.locator('#search').blur();
      await press(page, '/');
      expect(await focused(page)).toBe('search');
      expect(
        await page.$eval('#search', (e) => {
          const input = e as HTMLInputElement;
          return [input.selectionStart, input.selectionEnd];
        }),
      ).toEqual([0, 'deploy'.length]);
      // In the field, / types a slash and the arrows move the caret, not the cursor.
      await press(page, 'ArrowRight');
      await press(page, '/');
      expect(await page.inputValue('#search')).toBe('deploy/');
      expect(await focused(page)).toBe('search');
      await atSeq(page, EVENTS);
      await press(page, 'Escape');
      expect(await focused(page)).toBe('');
      expect(await page.inputValue('#search')).toBe('deploy/');
      // Out of the field, the arrows step again.
      await press(page, 'ArrowLeft');
      await atSeq(page, EVENTS - 1);
    },
  );

  keyTest(
    ['?', 'Escape'],
    '? opens the help, an accessible modal listing the table; ?, Escape, close and a click outside close it',
    async () => {
      const page = await openLive();
      await press(page, '?');
      const help = page.locator('#help');
      await help.waitFor({ state: 'visible', ...WAIT });
      expect(await help.getAttribute('role')).toBe('dialog');
      expect(await help.getAttribute('aria-modal')).toBe('true');
      expect(await page.evaluate(() => document.activeElement?.closest('#help') !== null)).toBe(
        true,
      );
      const rows = await page.$$eval('#help-keys tr', (trs) =>
        trs.map((tr) => tr.querySelectorAll('td')[1]?.textContent),
      );
      expect(rows).toEqual(SHORTCUTS.map((s) => s.description));
      // The page behind waits while the help is open.
      await press(page, 'ArrowLeft');
      await press(page, '?');
      await help.waitFor({ state: 'hidden', ...WAIT });
      await atSeq(page, EVENTS);

      await page.click('#help-open');
      await help.waitFor({ state: 'visible', ...WAIT });
      await press(page, 'Escape');
      await help.waitFor({ state: 'hidden', ...WAIT });
      expect(await focused(page)).toBe('help-open');

      await page.click('#help-open');
      await help.waitFor({ state: 'visible', ...WAIT });
      await page.mouse.click(5, 5);
      await help.waitFor({ state: 'hidden', ...WAIT });

      await page.click('#help-open');
      await page.click('#help-close');
      await help.waitFor({ state: 'hidden', ...WAIT });
    },
  );

  keyTest(
    ['n', 'N'],
    'N jumps back to the last failure, n forward to the next (from the cursor once it left the selection), and each says when there is none',
    async () => {
      const failure = [...tracker.store.read()].find(
        (e) => e.type === 'toolCall.result' && e.data.outcome === 'failed',
      )!;
      const page = await openLive();
      await press(page, 'N');
      await atSeq(page, failure.seq);
      await waitForText(page, '#find-status', /^failure 1 of 1$/);
      await press(page, 'n');
      await waitForText(page, '#find-status', /^no failure after this$/);
      await atSeq(page, failure.seq);
      await press(page, 'N');
      await waitForText(page, '#find-status', /^no failure before this$/);
      // Scrubbed back to the start, the selection is not shown: n goes from the cursor.
      await press(page, 'Home');
      await atSeq(page, 0);
      await press(page, 'n');
      await atSeq(page, failure.seq);
      await waitForText(page, '#find-status', /^failure 1 of 1$/);
    },
  );

  it('leaves no shortcut of the table untested', () => {
    expect([...tested].sort()).toEqual(SHORTCUTS.flatMap((s) => s.keys).sort());
  });
});

declare global {
  interface Window {
    toolflightInspector: { view: { playing: number } };
  }
}

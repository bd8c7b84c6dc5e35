// Shared by the inspector tests: Chromium through playwright-core, an SSE reader, a live host.
import { setMaxListeners } from 'node:events';
import { request, type IncomingMessage } from 'node:http';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

import { createMemoryStore, createTracker, type Tracker } from '../../src/index.js';
import {
  createLoopbackServer,
  type LoopbackServer,
  type LoopbackTool,
} from '../../src/mcp/index.js';

/** The flags the machine notes give for Chromium on this closed network. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium, headless; playwright gives it a fresh profile directory. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** How long a page test waits for a condition in the DOM. */
export const WAIT = { timeout: 30_000 };

/**
 * A fresh page at `url`, in its own browser context. The cleanup it adds closes the context
 * and fails the test if the page threw.
 */
export async function openPage(
  browser: Browser,
  url: string,
  cleanups: (() => Promise<unknown>)[],
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  cleanups.push(() => {
    expect(errors, 'errors thrown in the page').toEqual([]);
    return Promise.resolve();
  });
  await page.goto(url);
  return page;
}

/** What the Chromium tests of one file share: one browser, and what each test leaves behind. */
export interface ChromiumSuite {
  /** The browser, launched before the file's first test. */
  readonly browser: () => Browser;
  /** Run after each test, the last pushed first; the first that throws fails the test. */
  readonly cleanups: (() => Promise<unknown>)[];
  /** A fresh page at `url` in its own context ({@link openPage}), closed after the test. */
  readonly open: (url: string) => Promise<Page>;
}

/**
 * Launch Chromium for this test file (closed after its last test) and run each test's cleanups
 * after it: call once, at the top of the file.
 */
export function chromiumSuite(): ChromiumSuite {
  let browser: Browser | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  const launched = (): Browser => {
    if (!browser) throw new Error('chromiumSuite: the browser is launched in beforeAll');
    return browser;
  };
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });
  return { browser: launched, cleanups, open: (url) => openPage(launched(), url, cleanups) };
}

/** Wait until the element's text matches. */
export async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    ([sel, source]) => {
      const element = document.querySelector(sel!);
      return element !== null && new RegExp(source!).test(element.textContent ?? '');
    },
    [selector, pattern.source],
    WAIT,
  );
}

/** A status code and body of a plain GET, with the headers given. */
export function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One SSE frame. */
export interface Frame {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/** An SSE connection read frame by frame; `until` resolves on the first frame that matches. */
export interface SseReader {
  readonly frames: Frame[];
  readonly until: (match: (frame: Frame) => boolean) => Promise<Frame>;
  readonly close: () => void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
    const req = request(url, { headers }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            const name = line.slice(0, colon);
            const value = line.slice(colon + 1).trimStart();
            // Several `data:` lines make one message, joined by newlines.
            const before = name === 'data' ? fields.get('data') : undefined;
            fields.set(name, before === undefined ? value : `${before}\n${value}`);
          }
          if (!fields.has('data')) continue;
          const frame = {
            event: fields.get('event') ?? 'message',
            id: fields.get('id'),
            data: fields.get('data')!,
          };
          frames.push(frame);
          for (const waiter of [...waiters]) {
            if (waiter.match(frame)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(frame);
            }
          }
        }
      });
      resolve({
        frames,
        until: (match) => {
          const found = frames.find(match);
          if (found) return Promise.resolve(found);
          return new Promise((done) => waiters.push({ match, resolve: done }));
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (error) => reject(error));
    req.end();
  });
}

/** A tool that returns only when released: the test decides when a call finishes. */
export function gateTool(): LoopbackTool & { release: () => void; started: Promise<void> } {
  let release!: () => void;
  let started!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  return {
    name: 'deploy',
    description: 'Deploy a service; returns when the test releases it.',
    inputSchema: { type: 'object', properties: { service: { type: 'string' } } },
    run: async ({ service }) => {
      started();
      await released;
      return { content: [{ type: 'text', text: `${String(service)} deployed` }] };
    },
    release,
    started: startedPromise,
  };
}

const send: LoopbackTool = {
  name: 'send',
  description: 'Post to a chat channel.',
  inputSchema: { type: 'object', properties: { to: { type: 'string' } } },
  run: ({ to }) => ({ content: [{ type: 'text', text: `posted to ${String(to)}` }] }),
};

/** A live host like the demo's: a tracker, a loopback MCP server, an SDK client. */
export interface LiveHost {
  readonly tracker: Tracker;
  readonly server: LoopbackServer;
  readonly client: Client;
  readonly gate: ReturnType<typeof gateTool>;
  readonly close: () => Promise<void>;
}

export async function startLiveHost(capture = 'demo-run'): Promise<LiveHost> {
  const tracker = createTracker({ store: createMemoryStore() });
  const gate = gateTool();
  const server = await createLoopbackServer({ tracker, tools: [gate, send] });
  tracker.beginCapture(capture);
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: {
        headers: { Authorization: `Bearer ${server.credential({ capture, owner: true })}` },
      },
      fetch: (input, init) => {
        if (init?.signal) setMaxListeners(0, init.signal);
        return fetch(input, init);
      },
    }),
  );
  return {
    tracker,
    server,
    client,
    gate,
    close: async () => {
      gate.release();
      await client.close();
      await server.close();
    },
  };
}

// `--stately ws://…` through the real bin (issue 12 §7): "sent N messages" only once a Stately
// inspector took them; a sentence and a non-zero exit when nothing listens there.
import { join } from 'node:path';

import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { describe, expect, it, vi } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createStatelyOutput } from '../../src/inspector/index.js';
import { onCleanup } from '../proxy/support.js';
import { runBin, startBin } from '../support/runBin.js';
import { freePort } from '../support/freePort.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'quiet-run.jsonl');

/** The package's relay on a free port, and a receiver that counts what reaches it. */
async function statelyServer(port?: number) {
  port ??= await freePort();
  const server = createInspectorServer({ port, autoOpen: false });
  onCleanup(() => Promise.resolve(server.stop()));
  const received: StatelyInspectionEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver = createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` });
  const subscription = receiver.subscribe((message) => {
    received.push(message);
    for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
  });
  onCleanup(() => Promise.resolve(subscription.unsubscribe()));
  return {
    url: `ws://127.0.0.1:${port}/`,
    received,
    until: (count: number) =>
      new Promise<void>((resolve) => {
        if (received.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
  };
}

const couldNotConnect = (command: string, url: string, port: number) =>
  `toolflight ${command}: could not connect to Stately at ${url} (connect ECONNREFUSED 127.0.0.1:${port}): start a Stately inspector server there (createInspectorServer from @statelyai/inspect/server), or pass the --stately URL of one that runs\n`;

describe('--stately (the bin)', { timeout: 30_000 }, () => {
  it('inspect FILE --stately says it could not connect when nothing listens, and exits 1 (it said "sent N messages")', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/`;
    const { code, stdout, stderr } = await runBin(['inspect', FIXTURE, '--stately', url]);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/sent/);
    expect(stderr).toBe(couldNotConnect('inspect', url, port));
  });

  it('demo --stately says it could not connect when nothing listens, and exits 1 before the run', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/`;
    const { code, stdout, stderr } = await runBin(['demo', '--stately', url]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(couldNotConnect('demo', url, port));
  });

  it('inspect FILE --stately reports the messages a real Stately relay took, and they reach its receiver', async () => {
    const stately = await statelyServer();
    const bin = startBin(['inspect', FIXTURE, '--stately', stately.url]);
    onCleanup(async () => {
      bin.kill('SIGKILL');
      await bin.exit;
    });
    const [, count] = await bin.waitFor(
      /^sent (\d+) Stately messages to ws:\/\/127\.0\.0\.1:\d+\/\n/m,
    );
    expect(Number(count)).toBeGreaterThan(0);
    await stately.until(Number(count));
    expect(stately.received).toHaveLength(Number(count));
    await bin.waitFor(/^open http/m);
    bin.kill('SIGTERM');
    const { code, stderr } = await bin.exit;
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

// The library half of the messages above: what the output knows about its socket.
describe('createStatelyOutput: the connection', () => {
  it('resolves connected() with failed and the reason when nothing listens, and counts nothing as sent', async () => {
    const port = await freePort();
    const tracker = createTracker();
    const output = await createStatelyOutput({
      url: `ws://127.0.0.1:${port}`,
      source: { tracker },
    });
    onCleanup(() => Promise.resolve(output.close()));
    tracker.beginCapture('c');
    await expect(output.connected()).resolves.toEqual({
      state: 'failed',
      reason: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    expect(output.sent()).toBe(0);
  });

  it('tries again 5 s after a failed connect and writes what it held once Stately is there; close() stops retrying', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onCleanup(() => Promise.resolve(vi.useRealTimers()));
    const port = await freePort();
    const tracker = createTracker();
    const output = await createStatelyOutput({
      url: `ws://127.0.0.1:${port}`,
      source: { tracker },
    });
    onCleanup(() => Promise.resolve(output.close()));
    tracker.beginCapture('c');
    expect((await output.connected()).state).toBe('failed');
    const stately = await statelyServer(port);
    vi.advanceTimersByTime(5000);
    // The held messages reach the relay once the retry connected.
    await stately.until(1);
    expect(output.connection()).toEqual({ state: 'open' });
    await stately.until(output.sent());
    expect(stately.received).toHaveLength(output.sent());

    output.close();
    expect(output.connection().state).toBe('closed');
  });

  it('does not try again once closed after a failed connect (the retry held the process open)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onCleanup(() => Promise.resolve(vi.useRealTimers()));
    const output = await createStatelyOutput({
      url: `ws://127.0.0.1:${await freePort()}`,
      source: { events: [] },
    });
    expect((await output.connected()).state).toBe('failed');
    output.close();
    // A new attempt would show as `connecting`.
    vi.advanceTimersByTime(60_000);
    expect(output.connection().state).toBe('failed');
  });
});

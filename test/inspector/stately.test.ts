import { join } from 'node:path';

import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { demo } from '../../src/cli/demo.js';
import { inspect } from '../../src/cli/inspect.js';
import type { CliIo } from '../../src/cli/io.js';
import { ToolflightError } from '../../src/errors.js';
import { createTracker, type ToolflightEvent, type Tracker } from '../../src/index.js';
import { createStatelyOutput } from '../../src/inspector/index.js';
import { freePort } from '../support/freePort.js';

const open: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

/**
 * The package's relay (`@statelyai/inspect/server`) and its WebSocket receiver: `until(n)`
 * resolves once the receiver holds `n` messages.
 */
async function stately() {
  const port = await freePort();
  const server = createInspectorServer({ port, autoOpen: false });
  open.push({ close: () => server.stop() });
  const received: StatelyInspectionEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver = createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` });
  const subscription = receiver.subscribe((message) => {
    received.push(message);
    for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
  });
  open.push({ close: () => subscription.unsubscribe() });
  const until = (count: number) =>
    new Promise<StatelyInspectionEvent[]>((resolve) => {
      if (received.length >= count) resolve(received);
      else waiters.push({ count, resolve: () => resolve(received) });
    });
  return { url: `ws://127.0.0.1:${port}`, received, until };
}

/** One capture, one request carrying one tool call that is prepared, resolved and finished. */
function run(tracker: Tracker): void {
  tracker.beginCapture('run-1');
  const request = tracker.requestStarted('run-1');
  tracker.requestClassified(request, { method: 'tools/call' });
  const call = tracker.toolCallStarted({ request, toolName: 'send', args: { to: '#ops' } });
  tracker.toolCallPrepared(call, { args: { to: '#ops', token: 'hunter2' } });
  tracker.toolCallResult(call, { outcome: 'completed', isError: false });
  tracker.toolCallFinished(call);
  tracker.requestFinished(request, { status: 200 });
}

// capture actor; ADMIT + request actor; CLASSIFY; ADMIT + call actor; PREPARE; RESULT; FINISH x2
const EXPECTED = 1 + 3 + 2 + 3 + 2 + 2 + 2 + 2;

const brief = (message: StatelyInspectionEvent) => {
  switch (message.type) {
    case '@xstate.actor':
      return ['actor', message.sessionId, message.parentId, message.snapshot.value as unknown];
    case '@xstate.event':
      return ['event', message.sessionId, message.event.type];
    case '@xstate.snapshot':
      return ['snapshot', message.sessionId, (message.snapshot as { value?: unknown }).value];
  }
};

describe('Stately output', () => {
  it('shows a live tool call to the package receiver as an actor under its request, moving started -> prepared -> finished', async () => {
    const { url, until } = await stately();
    const tracker = createTracker();
    const output = await createStatelyOutput({ url, source: { tracker } });
    open.push(output);
    run(tracker);
    const received = await until(EXPECTED);

    const capture = 'toolflight:capture:1';
    const request = 'toolflight:rq_1';
    const call = 'toolflight:tc_1';
    expect(received.map(brief)).toEqual([
      ['actor', capture, undefined, 'active'],
      ['event', capture, 'ADMIT'],
      ['snapshot', capture, 'active'],
      ['actor', request, capture, 'started'],
      ['event', request, 'CLASSIFY'],
      ['snapshot', request, 'classified'],
      ['event', capture, 'ADMIT'],
      ['snapshot', capture, 'active'],
      ['actor', call, request, 'started'],
      ['event', call, 'PREPARE'],
      ['snapshot', call, 'prepared'],
      ['event', call, 'RESULT'],
      ['snapshot', call, 'prepared'],
      ['event', call, 'FINISH'],
      ['snapshot', call, 'finished'],
      ['event', request, 'FINISH'],
      ['snapshot', request, 'finished'],
    ]);
    expect(output.sent()).toBe(EXPECTED);

    const finished = received[14]!;
    expect(finished).toMatchObject({
      type: '@xstate.snapshot',
      rootId: capture,
      snapshot: {
        status: 'done',
        value: 'finished',
        context: { toolName: 'send', outcome: 'completed', prepared: true },
      },
      event: { type: 'FINISH', toolflight: 'toolCall.finished', data: { prepared: true } },
    });
    // The event carries the toolflight data, with secret-looking arguments masked.
    const prepare = received[9]!;
    expect(prepare.type === '@xstate.event' && prepare.event).toMatchObject({
      type: 'PREPARE',
      data: { toolName: 'send', args: { to: '#ops' } },
    });
    expect(JSON.stringify(prepare)).not.toContain('hunter2');
    const actor = received[8]!;
    expect(actor.type === '@xstate.actor' && JSON.parse(actor.definition!)).toMatchObject({
      id: 'toolCall',
      initial: 'started',
    });
  });

  it('replays a recording as the same messages the live tracker sent', async () => {
    const { url, until } = await stately();
    const events: ToolflightEvent[] = [];
    const tracker = createTracker();
    tracker.subscribe((event) => events.push(event));
    run(tracker);
    tracker.clearCapture('run-1');
    const output = await createStatelyOutput({ url, source: { events } });
    open.push(output);
    const received = await until(EXPECTED + 2);
    expect(received.slice(-2).map(brief)).toEqual([
      ['event', 'toolflight:capture:1', 'CLEAR'],
      ['snapshot', 'toolflight:capture:1', 'cleared'],
    ]);
    expect(output.sent()).toBe(EXPECTED + 2);
  });

  it('refuses a URL that is not ws:// or wss:// with a ToolflightError that says what to pass', async () => {
    const error = await createStatelyOutput({
      url: 'http://127.0.0.1:8080',
      source: { events: [] },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolflightError);
    expect((error as ToolflightError).message).toMatch(/ws:\/\/HOST:PORT/);
  });

  it('says to install @statelyai/inspect when the optional peer is missing', async () => {
    vi.doMock('@statelyai/inspect', () => {
      throw new Error("Cannot find package '@statelyai/inspect'");
    });
    try {
      const error = await createStatelyOutput({
        url: 'ws://127.0.0.1:8080',
        source: { events: [] },
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ToolflightError);
      expect(error).toMatchObject({ code: 'missing_peer' });
      expect((error as Error).message).toMatch(/npm install @statelyai\/inspect/);
    } finally {
      vi.doUnmock('@statelyai/inspect');
    }
  });
});

describe('toolflight inspect and demo --stately', () => {
  const io = () => {
    const err: string[] = [];
    const cli: CliIo = { out: () => {}, err: (line) => void err.push(line) };
    return { cli, err };
  };
  const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'quiet-run.jsonl');

  it('exits 2 on a --stately URL that is not a WebSocket URL', async () => {
    const { cli, err } = io();
    expect(await inspect([FIXTURE, '--stately', 'http://localhost:8080'], cli)).toBe(2);
    expect(err.join('\n')).toMatch(/--stately takes a WebSocket URL/);
    expect(await inspect([FIXTURE, '--stately', 'not a url'], cli)).toBe(2);
  });

  it('demo exits 2 on a bad --stately URL before starting the run', async () => {
    const { cli, err } = io();
    expect(await demo(['--stately', 'localhost:8080'], cli)).toBe(2);
    expect(err.join('\n')).toMatch(/--stately takes a WebSocket URL/);
  });

  it('exits 2 on --stately without a recording to replay', async () => {
    const { cli, err } = io();
    expect(await inspect(['--stately', 'ws://127.0.0.1:8080'], cli)).toBe(2);
    expect(err.join('\n')).toMatch(/--stately needs a FILE/);
  });
});

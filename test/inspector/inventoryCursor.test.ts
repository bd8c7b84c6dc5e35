// The page's inventory fold: at any position, in any order of visits, the library's own fold.
import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  emptyInventory,
  foldInventory,
  type ToolflightEvent,
} from '../../src/index.js';
import { InventoryCursor } from '../../src/inspector/page/inventoryCursor.js';

/** A gateway's log with tool calls between its server events, on a clock of 1 s per event. */
function gatewayLog(): ToolflightEvent[] {
  let now = 0;
  const tracker = createTracker({ store: createMemoryStore(), clock: () => (now += 1000) });
  tracker.beginCapture('run-1');
  const call = () => {
    const id = tracker.toolCallStarted({ capture: 'run-1', toolName: 'fs__read', args: {} });
    tracker.toolCallResult(id, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(id);
  };
  tracker.note('gateway.configured', {
    servers: [
      { name: 'fs', config: 'c-fs', transport: 'stdio' },
      { name: 'web', config: 'c-web', transport: 'http' },
    ],
  });
  for (let round = 0; round < 6; round++) {
    tracker.note('upstream.changed', { server: 'fs', state: 'up' });
    call();
    tracker.note('catalog.listed', {
      server: 'fs',
      tools: [{ name: `read_${round}` }],
      fingerprint: `fp-${round}`,
      config: 'c-fs',
    });
    tracker.note('context.changed', { context: { round } }, { capture: 'run-1' });
    tracker.note('upstream.changed', { server: 'web', state: 'down', retryInMs: 500 });
    tracker.note('upstream.changed', { server: 'fs', state: 'up', stderr: `line ${round}` });
    call();
    tracker.note('upstream.changed', { server: 'fs', state: 'exited', reason: `code ${round}` });
  }
  return [...tracker.store.read()];
}

const straight = (events: readonly ToolflightEvent[], count: number) =>
  events.slice(0, count).reduce(foldInventory, emptyInventory());

describe('InventoryCursor', () => {
  it('gives the straight fold at every position, forward, back and jumping past checkpoints', () => {
    const events = gatewayLog();
    const cursor = new InventoryCursor(4);
    const visits = [
      ...events.keys(),
      events.length,
      ...[...events.keys()].reverse(),
      ...[40, 3, 77, 12, 13, 0, events.length, 26, 25, 60],
    ];
    for (const count of visits) expect(cursor.at(events, count)).toEqual(straight(events, count));
  });

  it('follows a growing log and starts over on a shorter one (a recording replaced it)', () => {
    const events = gatewayLog();
    const cursor = new InventoryCursor(4);
    const half = events.slice(0, 30);
    expect(cursor.at(half, 30)).toEqual(straight(half, 30));
    expect(cursor.at(events, events.length)).toEqual(straight(events, events.length));
    const other = events.slice(0, 5);
    expect(cursor.at(other, 5)).toEqual(straight(other, 5));
  });

  it('has servers to show only once a server event came, not for contexts alone', () => {
    let now = 0;
    const tracker = createTracker({ store: createMemoryStore(), clock: () => ++now });
    tracker.note('context.changed', { context: { mode: 'read' } });
    const cursor = new InventoryCursor();
    cursor.scan([...tracker.store.read()]);
    expect(cursor.servers).toBe(false);
    tracker.note('upstream.changed', { server: 'fs', state: 'connecting' });
    cursor.scan([...tracker.store.read()]);
    expect(cursor.servers).toBe(true);
  });
});

import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker, encodeEvent } from '../src/index.js';
import { interleavedRun } from './support/script.js';

function recordScript(seed: number): string {
  const scheduler = new VirtualTimeScheduler();
  const store = createMemoryStore();
  let now = 0;
  // A clock that moves on every reading, so `at` differs between events.
  const tracker = createTracker({ scheduler, store, clock: () => (now += 3) });
  interleavedRun(tracker, { captures: 5, calls: 200, seed });
  const observer = tracker.beginCapture('observed', {
    onToolCallResult: () => {
      throw new Error('observer failure is part of the log too');
    },
  });
  expect(observer).toBeGreaterThan(0);
  expect(new Set(store.events().map((e) => e.at)).size).toBe(store.events().length);
  const call = tracker.toolCallStarted({ capture: 'observed', toolName: 'send' });
  tracker.toolCallResult(call, { outcome: 'failed', isError: true, reason: 'x' });
  tracker.toolCallFinished(call);
  scheduler.flush();
  return store.events().map(encodeEvent).join('\n') + '\n';
}

describe('determinism', () => {
  it('replaying the same command script twice gives byte-identical event logs', () => {
    const first = recordScript(7);
    const second = recordScript(7);
    expect(first.length).toBeGreaterThan(10_000);
    expect(second).toBe(first);
    expect(recordScript(8)).not.toBe(first);
  });

  it('numbers seq gaplessly from 1', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store });
    interleavedRun(tracker, { captures: 3, calls: 50, seed: 1 });
    expect(store.events().map((e) => e.seq)).toEqual(store.events().map((_, i) => i + 1));
    expect([...store.read(10)][0]?.seq).toBe(10);
  });

  it('takes time from the injected clock and ids from the injected source', () => {
    const store = createMemoryStore();
    let n = 0;
    const tracker = createTracker({ store, clock: () => 1000, ids: (kind) => `${kind}-${++n}` });
    tracker.beginCapture('k');
    tracker.toolCallStarted({ capture: 'k', toolName: 'send' });
    expect(store.events().map((e) => [e.at, e.id])).toEqual([
      [1000, undefined],
      [1000, 'tc-1'],
    ]);
  });
});

describe('projections under load', () => {
  it('10,000 interleaved calls on 100 captures end with inFlight 0 and activityVersion 2 x (requests + calls)', () => {
    const tracker = createTracker();
    const { requests, calls } = interleavedRun(tracker, { captures: 100, calls: 10_000, seed: 42 });
    const captures = tracker.snapshot().captures;
    expect(captures).toHaveLength(100);
    for (const capture of captures) {
      expect(capture.inFlight).toBe(0);
      expect(capture.requests).toEqual([]);
      expect(capture.toolCalls).toEqual([]);
    }
    const total = captures.reduce((sum, capture) => sum + capture.activityVersion, 0);
    expect(total).toBe(2 * (requests + calls));
    expect(captures[0]?.activityVersion).toBe(2 * 2 * (10_000 / 100));
  });

  it('capture$ emits the snapshot now and after each event of its key only', () => {
    const tracker = createTracker();
    tracker.beginCapture('k');
    tracker.beginCapture('other');
    const seen: (number | undefined)[] = [];
    const subscription = tracker.capture$('k').subscribe((s) => seen.push(s?.inFlight));
    const request = tracker.requestStarted('k');
    tracker.requestStarted('other');
    tracker.requestFinished(request);
    tracker.clearCapture('k');
    subscription.unsubscribe();
    expect(seen).toEqual([0, 1, 0, undefined]);
  });
});

import { concat, from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  evolveOutbox,
  initialOutboxState,
  outbox$,
  snapshotOutbox,
  type OutboxSnapshot,
} from '../src/index.js';

/** A tracker on a virtual clock that moves 1 ms per event. */
function scenario() {
  let now = 1_000;
  const store = createMemoryStore();
  const tracker = createTracker({ store, clock: () => now++ });
  const fold = () => snapshotOutbox([...store.read()].reduce(evolveOutbox, initialOutboxState()));
  return { tracker, store, fold };
}

describe('outbox projection', () => {
  it('keeps enqueued writes pending in enqueue order until delivered', () => {
    const { tracker, fold } = scenario();
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    tracker.note('outbox.enqueued', { key: 'k2', tool: 'append' });
    tracker.note('outbox.enqueued', { key: 'k3', tool: 'tag' });
    tracker.note('outbox.delivered', { key: 'k2', tool: 'append' });
    const state = fold();
    expect(state.pending.map((entry) => entry.key)).toEqual(['k1', 'k3']);
    expect(state.pending[0]).toEqual({ key: 'k1', tool: 'append', since: 1_000 });
    expect(state.delivered).toBe(1);
    expect(state.dead).toEqual([]);
    expect(state.seq).toBe(4);
  });

  it('moves a rejected write to the dead letters with its reason', () => {
    const { tracker, fold } = scenario();
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    tracker.note('outbox.rejected', { key: 'k1', tool: 'append', reason: 'HTTP 422 bad row' });
    expect(fold()).toMatchObject({
      pending: [],
      dead: [{ key: 'k1', tool: 'append', reason: 'HTTP 422 bad row', since: 1_001 }],
      delivered: 0,
    });
  });

  it('takes a re-queued dead letter out of the dead letters, and a delivery out of both', () => {
    const { tracker, fold } = scenario();
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    tracker.note('outbox.rejected', { key: 'k1', tool: 'append', reason: 'expired' });
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    expect(fold()).toMatchObject({ pending: [{ key: 'k1', since: 1_002 }], dead: [] });
    tracker.note('outbox.rejected', { key: 'k1', tool: 'append', reason: 'HTTP 400' });
    // An operator's retry outside this log (the CLI) can still end in a delivery here.
    tracker.note('outbox.delivered', { key: 'k1', tool: 'append' });
    expect(fold()).toMatchObject({ pending: [], dead: [], delivered: 1 });
  });

  it('keeps the first enqueue time when a pending key is enqueued again', () => {
    const { tracker, fold } = scenario();
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    expect(fold().pending).toEqual([{ key: 'k1', tool: 'append', since: 1_000 }]);
  });

  it('ignores events that are not about the outbox, except for seq', () => {
    const { tracker, fold } = scenario();
    tracker.beginCapture('run-1');
    tracker.requestStarted('run-1');
    expect(fold()).toEqual({ seq: 2, pending: [], dead: [], delivered: 0 });
  });

  it('streams a snapshot per outbox event, each subscriber folding on its own', async () => {
    const { tracker, store } = scenario();
    tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    const seen: OutboxSnapshot[] = [];
    const live = outbox$(concat(from([...store.read()]), tracker.events$)).subscribe((snapshot) =>
      seen.push(snapshot),
    );
    tracker.beginCapture('run-1');
    tracker.note('outbox.delivered', { key: 'k1', tool: 'append' });
    live.unsubscribe();
    expect(seen.map((snapshot) => [snapshot.pending.length, snapshot.delivered])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    // A second subscriber to the same observable starts from empty, not from the first's state.
    const replayed = outbox$(from([...store.read()]));
    const twice = await Promise.all([
      lastValueFrom(replayed.pipe(toArray())),
      lastValueFrom(replayed.pipe(toArray())),
    ]);
    expect(twice[0]).toEqual(twice[1]);
    expect(twice[0].at(-1)).toMatchObject({ pending: [], delivered: 1 });
  });
});

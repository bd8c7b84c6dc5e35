// The page's projection at the scrubber: from checkpoints, any position forward or back gives
// the fold of the log up to there, and a checkpoint is never changed by folding on from it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EventLog } from '../../src/inspector/page/eventLog.js';
import { ProjectionCursor } from '../../src/inspector/page/projectionCursor.js';
import { evolveCaptures, initialCapturesState } from '../../src/projections/captures.js';
import { cloneCapturesState } from '../../src/projections/cloneCaptures.js';
import { snapshotCaptures } from '../../src/projections/snapshot.js';
import { busyLog } from './busyLog.js';

const events = busyLog(600);

/** The fold of the first `count` events, straight from the start. */
function foldTo(count: number) {
  const state = initialCapturesState();
  for (const event of events.slice(0, count)) evolveCaptures(state, event);
  return snapshotCaptures(state);
}

function cursorOver(every: number): ProjectionCursor {
  const log = new EventLog();
  for (const event of events) log.append(event);
  return new ProjectionCursor(log, every);
}

describe('ProjectionCursor', () => {
  it('gives the straight fold at every position a scrubber visits, forward and back', () => {
    expect(events.length).toBeGreaterThan(2000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: events.length }), { minLength: 1, maxLength: 12 }),
        (every, moves) => {
          const cursor = cursorOver(every);
          for (const count of moves) expect(cursor.at(count)).toEqual(foldTo(count));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('starts over after reset, with no checkpoint of the old log left', () => {
    const cursor = cursorOver(64);
    cursor.at(events.length);
    cursor.reset();
    expect(cursor.at(1000)).toEqual(foldTo(1000));
    expect(cursor.at(10)).toEqual(foldTo(10));
  });
});

describe('cloneCapturesState', () => {
  it('copies a state that folds on without changing the original', () => {
    const state = initialCapturesState();
    for (const event of events.slice(0, 1500)) evolveCaptures(state, event);
    const before = snapshotCaptures(state);
    const copy = cloneCapturesState(state);
    expect(snapshotCaptures(copy)).toEqual(before);
    for (const event of events.slice(1500)) evolveCaptures(copy, event);
    expect(snapshotCaptures(state)).toEqual(before);
    expect(snapshotCaptures(copy)).toEqual(foldTo(events.length));
  });
});

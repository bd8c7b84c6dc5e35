import { expect } from 'vitest';

import type { ToolflightEvent } from '../events/types.js';
import { createMemoryStore } from '../store/memoryStore.js';
import { createTracker } from '../tracker/createTracker.js';
import type { Tracker, TrackerOptions } from '../tracker/Tracker.js';
import { eventsOf, type RecordingLike } from './recording.js';

/** A partial event to match: only the fields given are compared. */
export type EventPattern = Partial<Record<keyof ToolflightEvent, unknown>> & {
  readonly type: string;
};

/** What a command did to a tracker that continued the given log. */
export interface Outcome<T> {
  /** The tracker after the command. */
  readonly tracker: Tracker;
  /** What the command returned (undefined if it threw). */
  readonly returned: T | undefined;
  /** The events the command appended. */
  readonly appended: readonly ToolflightEvent[];
  /** Assert the command appended exactly these events, in order (each matched partially). */
  readonly thenEvents: (expected: readonly EventPattern[]) => Outcome<T>;
  /** Assert the command appended nothing (a refusal). */
  readonly thenNothing: () => Outcome<T>;
  /** Assert the command threw (matching `expected`, as in `toThrow`) and appended nothing. */
  readonly thenError: (
    expected?: RegExp | string | (new (...args: never[]) => Error),
  ) => Outcome<T>;
}

/**
 * Given a log, when a command, then events: a tracker continues the given events (verified
 * first), runs the command, and the outcome asserts what it appended.
 *
 * @example
 * given(recording)
 *   .when((tracker) => tracker.toolCallFinished(tracker.toolCallHandle('tc_1')))
 *   .thenEvents([{ type: 'toolCall.finished', id: 'tc_1', data: { prepared: false } }]);
 */
export function given(
  history: RecordingLike,
  options: Omit<TrackerOptions, 'store' | 'history'> = {},
) {
  const events = eventsOf(history);
  return {
    when<T>(command: (tracker: Tracker) => T): Outcome<T> {
      const store = createMemoryStore();
      const tracker = createTracker({ ...options, store, history: events });
      let returned: T | undefined;
      let thrown: { error: unknown } | undefined;
      try {
        returned = command(tracker);
      } catch (error) {
        thrown = { error };
      }
      const appended = store.events();
      const outcome: Outcome<T> = {
        tracker,
        returned,
        appended,
        thenEvents(expected) {
          if (thrown) throw thrown.error;
          expect(appended).toHaveLength(expected.length);
          expect(appended).toMatchObject(expected);
          return outcome;
        },
        thenNothing() {
          if (thrown) throw thrown.error;
          expect(appended).toEqual([]);
          return outcome;
        },
        thenError(expected) {
          expect(thrown, 'the command did not throw').toBeDefined();
          expect(() => {
            throw thrown!.error;
          }).toThrow(expected);
          expect(appended).toEqual([]);
          return outcome;
        },
      };
      return outcome;
    },
  };
}

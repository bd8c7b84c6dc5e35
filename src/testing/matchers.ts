import type { MatcherState } from 'vitest';

import type { ProjectionSnapshot } from '../projections/snapshot.js';
import { replay, type ReplayResult } from '../replay/replay.js';
import { eventsOf, type RecordingLike } from './recording.js';

declare module 'vitest' {
  // The type parameter must match vitest's own declaration for the interfaces to merge.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> {
    /** The recording replays (verified) to exactly this projection. */
    toReplayTo: (expected: ProjectionSnapshot) => T;
    /** Every event of the recording is a transition its machine allows; seq is gapless. */
    toBeValidLifecycle: () => T;
  }
}

const listViolations = (result: ReplayResult): string =>
  result.violations
    .slice(0, 10)
    .map((v) => `  ${v.message}`)
    .join('\n') +
  (result.violationCount > 10 ? `\n  … and ${result.violationCount - 10} more` : '');

/**
 * vitest matchers for recordings; install once with `expect.extend(recordingMatchers)`.
 *
 * @example
 * expect.extend(recordingMatchers);
 * expect(loadRecording('test/fixtures/quiet.jsonl')).toBeValidLifecycle();
 * expect(recording).toReplayTo(expectedProjection);
 */
export const recordingMatchers = {
  toReplayTo(this: MatcherState, received: RecordingLike, expected: ProjectionSnapshot) {
    const result = replay(eventsOf(received));
    const pass = result.violationCount === 0 && this.equals(result.snapshot, expected);
    return {
      pass,
      message: () =>
        pass
          ? 'expected the recording not to replay to this projection'
          : result.violationCount > 0
            ? `expected a valid recording, but it breaks its machines:\n${listViolations(result)}`
            : `the recording replays to another projection:\n${this.utils.diff(expected, result.snapshot) ?? ''}`,
      actual: result.snapshot,
      expected,
    };
  },

  toBeValidLifecycle(this: MatcherState, received: RecordingLike) {
    const result = replay(eventsOf(received));
    const pass = result.violationCount === 0;
    return {
      pass,
      message: () =>
        pass
          ? `expected the recording to break a machine, but all ${result.events} events are valid`
          : `expected a valid lifecycle, but the recording breaks its machines:\n${listViolations(result)}`,
    };
  },
};

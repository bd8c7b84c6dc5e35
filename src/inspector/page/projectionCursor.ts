// @internal The library's own projection, folded in the page up to the scrubber's position.
import { evolveCaptures, initialCapturesState } from '../../projections/captures.js';
import type { CapturesState } from '../../projections/captureRecords.js';
import { cloneCapturesState } from '../../projections/cloneCaptures.js';
import { snapshotCaptures, type ProjectionSnapshot } from '../../projections/snapshot.js';
import type { EventLog } from './eventLog.js';

/**
 * `evolveCaptures` over the first `count` events. Moving forward folds only the new events. A
 * copy of the state is kept every `every` events the first time the fold passes them, so
 * moving back starts from the nearest one before the position: any move costs fewer than
 * `every` folds once the log was folded through, forward or back.
 *
 * A window of a longer log starts from a `base`: the state after the log's first `from`
 * events (the window's context), and the fold starts there.
 */
export class ProjectionCursor {
  private state: CapturesState = initialCapturesState();
  private folded = 0;
  private from = 0;
  private cached: ProjectionSnapshot | undefined;
  /** `checkpoints[k]`: the state after the first `from + k * every` events (never folded on). */
  private readonly checkpoints: CapturesState[] = [initialCapturesState()];

  constructor(
    private readonly log: EventLog,
    private readonly every = 2048,
  ) {}

  /** Forget the fold (the log was replaced); fold on from `base` after the first `from` events. */
  reset(base: CapturesState = initialCapturesState(), from = 0): void {
    this.checkpoints.length = 0;
    this.checkpoints.push(base);
    this.state = cloneCapturesState(base);
    this.folded = this.from = from;
    this.cached = undefined;
  }

  /** The projection snapshot after the first `count` events (no fewer than the base's). */
  at(count: number): ProjectionSnapshot {
    if (count === this.folded && this.cached) return this.cached;
    this.cached = snapshotCaptures(this.stateAt(count));
    return this.cached;
  }

  /** The state after the first `count` events: the cursor's own, to read and not to change. */
  stateAt(count: number): CapturesState {
    const { every, checkpoints, from } = this;
    count = Math.max(count, from);
    if (count === this.folded) return this.state;
    this.cached = undefined;
    const mark = Math.min(Math.floor((count - from) / every), checkpoints.length - 1);
    const marked = from + mark * every;
    // Back, or far ahead of a checkpoint already made: start from the nearest one before.
    if (count < this.folded || marked > this.folded) {
      this.state = cloneCapturesState(checkpoints[mark]!);
      this.folded = marked;
    }
    const events = this.log.events;
    for (let i = this.folded; i < count; i++) {
      evolveCaptures(this.state, events[i]!);
      const done = i + 1 - from;
      if (done % every === 0 && checkpoints.length === done / every) {
        checkpoints.push(cloneCapturesState(this.state));
      }
    }
    this.folded = count;
    return this.state;
  }
}

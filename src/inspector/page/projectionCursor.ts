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
 */
export class ProjectionCursor {
  private state: CapturesState = initialCapturesState();
  private folded = 0;
  private cached: ProjectionSnapshot | undefined;
  /** `checkpoints[k]`: the state after the first `k * every` events (never folded on). */
  private readonly checkpoints: CapturesState[] = [initialCapturesState()];

  constructor(
    private readonly log: EventLog,
    private readonly every = 2048,
  ) {}

  /** Forget the fold (the log was replaced). */
  reset(): void {
    this.state = initialCapturesState();
    this.folded = 0;
    this.cached = undefined;
    this.checkpoints.length = 1;
  }

  /** The projection snapshot after the first `count` events. */
  at(count: number): ProjectionSnapshot {
    if (count === this.folded && this.cached) return this.cached;
    const { every, checkpoints } = this;
    const mark = Math.min(Math.floor(count / every), checkpoints.length - 1);
    // Back, or far ahead of a checkpoint already made: start from the nearest one before.
    if (count < this.folded || mark * every > this.folded) {
      this.state = cloneCapturesState(checkpoints[mark]!);
      this.folded = mark * every;
    }
    const events = this.log.events;
    for (let i = this.folded; i < count; i++) {
      evolveCaptures(this.state, events[i]!);
      if ((i + 1) % every === 0 && checkpoints.length === (i + 1) / every) {
        checkpoints.push(cloneCapturesState(this.state));
      }
    }
    this.folded = count;
    this.cached = snapshotCaptures(this.state);
    return this.cached;
  }
}

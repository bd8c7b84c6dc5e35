// @internal The library's own projection, folded in the page up to the scrubber's position.
import { evolveCaptures, initialCapturesState } from '../../projections/captures.js';
import { snapshotCaptures, type ProjectionSnapshot } from '../../projections/snapshot.js';
import type { EventLog } from './eventLog.js';
import type { CapturesState } from '../../projections/captureRecords.js';

/**
 * `evolveCaptures` over the first `count` events. Moving forward folds only the new events;
 * moving back folds again from the start (the fold updates its state in place, so there is no
 * older state to return to): about as fast as reading the log once.
 */
export class ProjectionCursor {
  private state: CapturesState = initialCapturesState();
  private folded = 0;
  private cached: ProjectionSnapshot | undefined;

  constructor(private readonly log: EventLog) {}

  /** Forget the fold (the log was replaced). */
  reset(): void {
    this.state = initialCapturesState();
    this.folded = 0;
    this.cached = undefined;
  }

  /** The projection snapshot after the first `count` events. */
  at(count: number): ProjectionSnapshot {
    if (count < this.folded) this.reset();
    if (count === this.folded && this.cached) return this.cached;
    const events = this.log.events;
    for (let i = this.folded; i < count; i++) evolveCaptures(this.state, events[i]!);
    this.folded = count;
    this.cached = snapshotCaptures(this.state);
    return this.cached;
  }
}

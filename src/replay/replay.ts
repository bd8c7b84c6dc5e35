import type { ToolflightEvent } from '../events/types.js';
import { snapshotCaptures, type ProjectionSnapshot } from '../projections/snapshot.js';
import { createLogChecker, type LogChecker } from './logChecker.js';
import type { Violation } from './violation.js';

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Stop after the event with this seq: the projection as it was then. */
  readonly until?: number;
}

/** What a replay found: the projection at the end, and every rule the log broke. */
export interface ReplayResult {
  readonly snapshot: ProjectionSnapshot;
  /** How many events were folded (violating ones are skipped). */
  readonly events: number;
  /** The seq of the last event read. */
  readonly lastSeq: number;
  /** The first {@link MAX_VIOLATIONS} violations, in log order. */
  readonly violations: readonly Violation[];
  /** How many violations there were in all. */
  readonly violationCount: number;
}

/** Violations kept in a result; a broken log can break every line. */
export const MAX_VIOLATIONS = 1000;

/** @internal Collects what a checker reports, bounded. */
export class ReplayTally {
  readonly violations: Violation[] = [];
  violationCount = 0;
  events = 0;
  lastSeq = 0;

  constructor(readonly checker: LogChecker) {}

  /** Check and fold one event; true when it was applied (a seq gap alone does not stop it). */
  apply(event: ToolflightEvent): boolean {
    this.lastSeq = event.seq;
    const found = this.checker.apply(event);
    for (const violation of found) {
      this.violationCount += 1;
      if (this.violations.length < MAX_VIOLATIONS) this.violations.push(violation);
    }
    const applied = found.every((v) => v.rule === 'seq-gap' || v.rule === 'seq-start');
    if (applied) this.events += 1;
    return applied;
  }

  result(): ReplayResult {
    return {
      snapshot: snapshotCaptures(this.checker.state),
      events: this.events,
      lastSeq: this.lastSeq,
      violations: this.violations,
      violationCount: this.violationCount,
    };
  }
}

/**
 * Fold a log through the same machines and reducers as live tracking, verifying it on the way.
 *
 * The source is read once, lazily: an array, or a reader that streams a file.
 *
 * @example
 * const { snapshot, violations } = replay(readRecording('run.jsonl'));
 */
export function replay(
  source: Iterable<ToolflightEvent>,
  options: ReplayOptions = {},
): ReplayResult {
  const tally = new ReplayTally(createLogChecker());
  const until = options.until ?? Infinity;
  for (const event of source) {
    if (event.seq > until) break;
    tally.apply(event);
  }
  return tally.result();
}

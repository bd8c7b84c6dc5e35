import { captureTable, requestTable, toolCallTable } from '../../machines/compiledTables.js';
import type { ToolflightEvent } from '../events/types.js';
import type { CapturesState } from '../projections/captureRecords.js';
import { snapshotCaptures, type ProjectionSnapshot } from '../projections/snapshot.js';
import { createLogChecker, type LogChecker } from './logChecker.js';
import type { Violation } from './violation.js';

/** Where an event was read: the file and its line (JSONL) or row seq (SQLite). */
export interface EventLocation {
  readonly source?: string;
  readonly line?: number;
}

/** One event as a replay saw it, for a timeline: what it broke and the state it left. */
export interface ReplayStep {
  readonly event: ToolflightEvent;
  /** What the event broke; empty when nothing. */
  readonly violations: readonly Violation[];
  /** False when a machine refused the event, so it was skipped (a seq or log gap does not). */
  readonly applied: boolean;
  /**
   * The machine state the event left its entity or capture in (`prepared (resulted)`,
   * `finished (prepared)`, `active`), or `''` for an event of no machine or a refused one.
   */
  readonly stateAfter: string;
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Stop after the event with this seq: the projection as it was then. */
  readonly until?: number;
  /** How many violations the result keeps (default {@link MAX_VIOLATIONS}); all are counted. */
  readonly maxViolations?: number;
  /** Called for every event read, after it was checked and folded. */
  readonly onStep?: (step: ReplayStep) => void;
  /**
   * Where the event being checked was read, stamped on its violations (`source`, `line`). A
   * reader such as `toolflight/store`'s `readRecording` can tell (its `onLine` option).
   */
  readonly locate?: () => EventLocation | undefined;
  /** Stop reading once aborted: the result is the projection so far. */
  readonly signal?: AbortSignal;
}

/** What a replay found: the projection at the end, and every rule the log broke. */
export interface ReplayResult {
  readonly snapshot: ProjectionSnapshot;
  /** How many events were folded (violating ones are skipped). */
  readonly events: number;
  /** The seq of the last event read (within `until`), folded or not; 0 for an empty log. */
  readonly lastSeq: number;
  /** The first `maxViolations` violations, in log order. */
  readonly violations: readonly Violation[];
  /** How many violations there were in all. */
  readonly violationCount: number;
}

/** Violations kept in a result by default; a broken log can break every line. */
export const MAX_VIOLATIONS = 1000;

/** Rules about the log as a whole: the event is still folded. */
const stepFree = (violation: Violation) =>
  violation.rule === 'seq-gap' || violation.rule === 'seq-start' || violation.rule === 'log-gap';

/** The machine state an accepted event left its entity (or capture) in. */
function stateAfter(event: ToolflightEvent, state: CapturesState): string {
  switch (event.type) {
    case 'capture.begun':
    case 'capture.cleared':
    case 'capture.yielded': {
      const generation = state.byGen.get(event.gen);
      if (generation) return captureTable.describe(generation.state);
      // A cleared generation, or a replaced one that drained, has left the projection.
      return event.type === 'capture.cleared' ? 'cleared' : 'active';
    }
    case 'request.finished':
      return 'finished';
    case 'toolCall.finished':
      return event.data.prepared ? 'finished (prepared)' : 'finished';
    default: {
      const entity = event.id === undefined ? undefined : state.entities?.get(event.id);
      if (!entity) return '';
      const table = entity.kind === 'request' ? requestTable : toolCallTable;
      return table.describe(entity.stateIndex);
    }
  }
}

/** @internal Checks and folds events one at a time, collecting what they break, bounded. */
export class ReplayTally {
  readonly violations: Violation[] = [];
  violationCount = 0;
  events = 0;
  lastSeq = 0;
  private readonly maxViolations: number;

  constructor(
    readonly checker: LogChecker,
    private readonly options: Omit<ReplayOptions, 'until'> = {},
  ) {
    this.maxViolations = options.maxViolations ?? MAX_VIOLATIONS;
  }

  /** Check and fold one event; true when it was applied (a seq gap alone does not stop it). */
  apply(event: ToolflightEvent): boolean {
    this.lastSeq = event.seq;
    let found = this.checker.apply(event);
    if (found.length > 0) {
      const where = this.options.locate?.();
      if (where !== undefined) found = found.map((violation) => ({ ...violation, ...where }));
      for (const violation of found) {
        this.violationCount += 1;
        if (this.violations.length < this.maxViolations) this.violations.push(violation);
      }
    }
    const applied = found.every(stepFree);
    if (applied) this.events += 1;
    const onStep = this.options.onStep;
    if (onStep) {
      const after = applied ? stateAfter(event, this.checker.state) : '';
      onStep({ event, violations: found, applied, stateAfter: after });
    }
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
  const tally = new ReplayTally(createLogChecker(), options);
  const until = options.until ?? Infinity;
  const signal = options.signal;
  for (const event of source) {
    if (event.seq > until || signal?.aborted) break;
    tally.apply(event);
  }
  return tally.result();
}

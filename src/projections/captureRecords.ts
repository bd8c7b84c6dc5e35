// The records of the per-capture projection: what `evolveCaptures` folds and the tracker holds.
import type {
  RequestStarted,
  ToolArgs,
  ToolCallOutcome,
  ToolCallStarted,
} from '../events/types.js';
import type { LiveList, Linked } from './liveList.js';

/** A live request in the projection. `stateIndex` indexes `requestTable.states`. */
export interface RequestRecord extends Linked<RequestRecord> {
  readonly kind: 'request';
  readonly id: string;
  readonly gen: number;
  stateIndex: number;
  method: string | undefined;
  readonly startedAt: number;
}

/** A live tool call in the projection. `stateIndex` indexes `toolCallTable.states`. */
export interface ToolCallRecord extends Linked<ToolCallRecord> {
  readonly kind: 'toolCall';
  readonly id: string;
  readonly gen: number;
  stateIndex: number;
  readonly request: string | undefined;
  toolName: string;
  args: ToolArgs;
  outcome: ToolCallOutcome | undefined;
  isError: boolean | undefined;
  readonly startedAt: number;
}

/** A live request or tool call. */
export type EntityRecord = RequestRecord | ToolCallRecord;

/** One generation of a capture key, with the work it admitted that has not finished. */
export interface GenerationRecord {
  readonly key: string;
  readonly gen: number;
  /** Indexes `captureTable.states`. */
  state: number;
  /** False once the key was begun again: the generation only drains its own handles. */
  current: boolean;
  inFlight: number;
  activityVersion: number;
  readonly requests: LiveList<RequestRecord>;
  readonly toolCalls: LiveList<ToolCallRecord>;
}

/** Makes the records of started entities while folding (a tracker makes its handles). */
export interface RecordFactory {
  readonly request: (event: RequestStarted, generation: GenerationRecord) => RequestRecord;
  readonly toolCall: (event: ToolCallStarted, generation: GenerationRecord) => ToolCallRecord;
}

/**
 * The per-capture projection: every live generation, by key (the current one) and by number.
 *
 * Finished entities and drained generations leave it, so memory follows what is in flight,
 * not how long the tracker has run.
 */
export interface CapturesState {
  readonly byKey: Map<string, GenerationRecord>;
  readonly byGen: Map<number, GenerationRecord>;
  /**
   * Live entities by id, for folding a log where nobody holds the records. A tracker, which
   * holds every record it touches, runs without it.
   */
  entities: Map<string, EntityRecord> | undefined;
  /** How `evolveCaptures` makes records; plain objects when undefined. */
  readonly records: RecordFactory | undefined;
  /** The seq of the last event folded. */
  seq: number;
}

import type {
  RequestStarted,
  ToolArgs,
  ToolCallOutcome,
  ToolCallStarted,
  ToolflightEvent,
} from '../events/types.js';
import {
  beginGeneration,
  classifyRequest,
  clearGeneration,
  finishRequest,
  finishToolCall,
  prepareToolCall,
  recordToolCallResult,
  requestRecordOf,
  startRequest,
  startToolCall,
  toolCallRecordOf,
} from './captureTransitions.js';
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

/**
 * An empty projection. `indexed: false` is for a tracker that locates records itself;
 * `records` replaces the plain records `evolveCaptures` makes.
 */
export function initialCapturesState({
  indexed = true,
  records,
}: { indexed?: boolean; records?: RecordFactory } = {}): CapturesState {
  return {
    byKey: new Map(),
    byGen: new Map(),
    entities: indexed ? new Map() : undefined,
    records,
    seq: 0,
  };
}

/**
 * Fold one event into the projection and return it.
 *
 * The state object is owned by the fold and updated in place (a spread per event would cost
 * four times as much); the result depends only on the state and the event. An event that its
 * machine refuses from the recorded state, or that names an unknown generation or entity, leaves
 * the projection unchanged: `createLogChecker` says why.
 */
export function evolveCaptures(state: CapturesState, event: ToolflightEvent): CapturesState {
  const generation = event.gen === undefined ? undefined : state.byGen.get(event.gen);
  const found = event.id === undefined ? undefined : state.entities?.get(event.id);
  // An entity event filed under another generation than the entity's own changes nothing.
  applyLocated(state, event, generation, found?.gen === event.gen ? found : undefined);
  return state;
}

/**
 * @internal `evolveCaptures` once the event's generation and entity are located (undefined when
 * they do not exist): the one place that dispatches an event to its transition.
 */
export function applyLocated(
  state: CapturesState,
  event: ToolflightEvent,
  generation: GenerationRecord | undefined,
  entity: EntityRecord | undefined,
): void {
  state.seq = event.seq;
  const request = entity?.kind === 'request' ? entity : undefined;
  const call = entity?.kind === 'toolCall' ? entity : undefined;
  switch (event.type) {
    case 'capture.begun':
      beginGeneration(state, event);
      break;
    case 'capture.cleared':
      if (generation) clearGeneration(state, generation);
      break;
    case 'request.started':
      if (generation) {
        const record = state.records?.request(event, generation) ?? requestRecordOf(event);
        startRequest(state, generation, record);
      }
      break;
    case 'request.classified':
      if (request) classifyRequest(event, request);
      break;
    case 'request.finished':
      if (generation && request) finishRequest(state, generation, request);
      break;
    case 'toolCall.started':
      if (generation) {
        const record = state.records?.toolCall(event, generation) ?? toolCallRecordOf(event);
        startToolCall(state, generation, record);
      }
      break;
    case 'toolCall.prepared':
      if (call) prepareToolCall(event, call);
      break;
    case 'toolCall.result':
      if (call) recordToolCallResult(event, call);
      break;
    case 'toolCall.finished':
      if (generation && call) finishToolCall(state, generation, call);
      break;
    default:
      break;
  }
}

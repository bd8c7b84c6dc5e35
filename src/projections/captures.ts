import type { ToolflightEvent } from '../events/types.js';
import type {
  CapturesState,
  EntityRecord,
  GenerationRecord,
  RecordFactory,
} from './captureRecords.js';
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

import { captureTable, requestTable, toolCallTable } from '../../machines/tables.js';
import type { ToolArgs, ToolCallOutcome, ToolflightEvent } from '../events/types.js';

const CLEAR = captureTable.eventIndex('CLEAR');
const CLASSIFY = requestTable.eventIndex('CLASSIFY');
const REQUEST_FINISH = requestTable.eventIndex('FINISH');
const PREPARE = toolCallTable.eventIndex('PREPARE');
const RESULT = toolCallTable.eventIndex('RESULT');
const CALL_FINISH = toolCallTable.eventIndex('FINISH');

/** A live request in the projection. `state` indexes `requestTable.states`. */
export interface RequestRecord {
  readonly id: string;
  state: number;
  method: string | undefined;
  readonly startedAt: number;
}

/** A live tool call in the projection. `state` indexes `toolCallTable.states`. */
export interface ToolCallRecord {
  readonly id: string;
  state: number;
  readonly request: string | undefined;
  toolName: string;
  args: ToolArgs;
  outcome: ToolCallOutcome | undefined;
  isError: boolean | undefined;
  readonly startedAt: number;
}

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
  readonly requests: Map<string, RequestRecord>;
  readonly toolCalls: Map<string, ToolCallRecord>;
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
  /** The seq of the last event folded. */
  seq: number;
}

/** An empty projection. */
export function initialCapturesState(): CapturesState {
  return { byKey: new Map(), byGen: new Map(), seq: 0 };
}

function retire(state: CapturesState, record: GenerationRecord): void {
  if (state.byKey.get(record.key) === record) state.byKey.delete(record.key);
  state.byGen.delete(record.gen);
}

function settle(state: CapturesState, record: GenerationRecord): void {
  record.inFlight -= 1;
  record.activityVersion += 1;
  if (!record.current && record.inFlight === 0) retire(state, record);
}

/**
 * Fold one event into the projection and return it.
 *
 * The state object is owned by the fold and updated in place (a spread per event would cost
 * four times as much); the result depends only on the state and the event. An event that its
 * machine refuses from the recorded state, or that names an unknown generation or entity, leaves
 * the projection unchanged: verification of a log is a separate concern.
 */
export function evolveCaptures(state: CapturesState, event: ToolflightEvent): CapturesState {
  state.seq = event.seq;
  const record = event.gen === undefined ? undefined : state.byGen.get(event.gen);
  switch (event.type) {
    case 'capture.begun': {
      const previous = state.byKey.get(event.capture);
      if (previous) {
        previous.current = false;
        if (previous.inFlight === 0) retire(state, previous);
      }
      const begun: GenerationRecord = {
        key: event.capture,
        gen: event.gen,
        state: captureTable.initial,
        current: true,
        inFlight: 0,
        activityVersion: 0,
        requests: new Map(),
        toolCalls: new Map(),
      };
      state.byKey.set(event.capture, begun);
      state.byGen.set(event.gen, begun);
      return state;
    }
    case 'capture.cleared':
      if (record && captureTable.step(record.state, CLEAR) >= 0) {
        record.state = captureTable.step(record.state, CLEAR);
        retire(state, record);
      }
      return state;
    case 'request.started':
      if (record) {
        record.inFlight += 1;
        record.activityVersion += 1;
        record.requests.set(event.id, {
          id: event.id,
          state: requestTable.initial,
          method: undefined,
          startedAt: event.at,
        });
      }
      return state;
    case 'request.classified': {
      const request = record?.requests.get(event.id);
      const next = request ? requestTable.step(request.state, CLASSIFY) : -1;
      if (request && next >= 0) {
        request.state = next;
        request.method = event.data.method;
      }
      return state;
    }
    case 'request.finished': {
      const request = record?.requests.get(event.id);
      const next = request ? requestTable.step(request.state, REQUEST_FINISH) : -1;
      if (record && request && next >= 0) {
        request.state = next;
        record.requests.delete(event.id);
        settle(state, record);
      }
      return state;
    }
    case 'toolCall.started':
      if (record) {
        record.inFlight += 1;
        record.activityVersion += 1;
        record.toolCalls.set(event.id, {
          id: event.id,
          state: toolCallTable.initial,
          request: event.data.request,
          toolName: event.data.toolName,
          args: event.data.args,
          outcome: undefined,
          isError: undefined,
          startedAt: event.at,
        });
      }
      return state;
    case 'toolCall.prepared': {
      const call = record?.toolCalls.get(event.id);
      const next = call ? toolCallTable.step(call.state, PREPARE) : -1;
      if (call && next >= 0) {
        call.state = next;
        call.toolName = event.data.toolName;
        call.args = event.data.args;
      }
      return state;
    }
    case 'toolCall.result': {
      const call = record?.toolCalls.get(event.id);
      const next = call ? toolCallTable.step(call.state, RESULT) : -1;
      if (call && next >= 0) {
        call.state = next;
        call.outcome = event.data.outcome;
        call.isError = event.data.isError;
      }
      return state;
    }
    case 'toolCall.finished': {
      const call = record?.toolCalls.get(event.id);
      const next = call ? toolCallTable.step(call.state, CALL_FINISH) : -1;
      if (record && call && next >= 0) {
        call.state = next;
        record.toolCalls.delete(event.id);
        settle(state, record);
      }
      return state;
    }
    default:
      return state;
  }
}

// @internal The state changes of the capture projection, one function per event type.
// `evolveCaptures` locates the records and calls these; the tracker, which holds the records,
// calls them directly. Each applies the machine's rule and leaves the state alone on a refusal.
import {
  CaptureEvent,
  captureTable,
  RequestEvent,
  requestTable,
  ToolCallEvent,
  toolCallTable,
} from '../../machines/compiledTables.js';
import type {
  CaptureBegun,
  RequestClassified,
  RequestStarted,
  ToolCallPrepared,
  ToolCallResult,
  ToolCallStarted,
} from '../events/types.js';
import type {
  CapturesState,
  EntityRecord,
  GenerationRecord,
  RequestRecord,
  ToolCallRecord,
} from './captureRecords.js';
import { LiveList } from './liveList.js';

/** True until the generation is cleared: its handles may still change the log. */
export const isLive = (generation: GenerationRecord): boolean =>
  !captureTable.states[generation.state]!.final;

function retire(state: CapturesState, generation: GenerationRecord): void {
  if (state.byKey.get(generation.key) === generation) state.byKey.delete(generation.key);
  state.byGen.delete(generation.gen);
}

function settle(state: CapturesState, generation: GenerationRecord, entity: EntityRecord): void {
  state.entities?.delete(entity.id);
  generation.inFlight -= 1;
  generation.activityVersion += 1;
  if (!generation.current && generation.inFlight === 0) retire(state, generation);
}

/** `capture.begun`: the key's previous generation, if any, only drains from now on. */
export function beginGeneration(state: CapturesState, event: CaptureBegun): GenerationRecord {
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
    requests: new LiveList(),
    toolCalls: new LiveList(),
  };
  state.byKey.set(event.capture, begun);
  state.byGen.set(event.gen, begun);
  return begun;
}

/** `capture.cleared`: the generation and its unfinished work leave the projection. */
export function clearGeneration(state: CapturesState, generation: GenerationRecord): void {
  const next = captureTable.step(generation.state, CaptureEvent.CLEAR);
  if (next < 0) return;
  generation.state = next;
  retire(state, generation);
  if (state.entities) {
    for (const request of generation.requests) state.entities.delete(request.id);
    for (const call of generation.toolCalls) state.entities.delete(call.id);
  }
}

/** A fresh record for a `request.started`, for a fold where nobody supplies one. */
export function requestRecordOf(event: RequestStarted): RequestRecord {
  return {
    kind: 'request',
    id: event.id,
    gen: event.gen,
    stateIndex: requestTable.initial,
    method: undefined,
    startedAt: event.at,
    prev: undefined,
    next: undefined,
  };
}

/**
 * `request.started`: one more in flight. The caller supplies the record (a tracker passes its
 * handle, which is the record), built from the event with `stateIndex` at the initial state.
 */
export function startRequest(
  state: CapturesState,
  generation: GenerationRecord,
  request: RequestRecord,
): void {
  generation.inFlight += 1;
  generation.activityVersion += 1;
  generation.requests.push(request);
  state.entities?.set(request.id, request);
}

/** `request.classified`. */
export function classifyRequest(event: RequestClassified, request: RequestRecord): void {
  const next = requestTable.step(request.stateIndex, RequestEvent.CLASSIFY);
  if (next < 0) return;
  request.stateIndex = next;
  request.method = event.data.method;
}

/** `request.finished`: one less in flight; the request leaves the projection. */
export function finishRequest(
  state: CapturesState,
  generation: GenerationRecord,
  request: RequestRecord,
): void {
  const next = requestTable.step(request.stateIndex, RequestEvent.FINISH);
  if (next < 0) return;
  request.stateIndex = next;
  generation.requests.remove(request);
  settle(state, generation, request);
}

/** A fresh record for a `toolCall.started`, for a fold where nobody supplies one. */
export function toolCallRecordOf(event: ToolCallStarted): ToolCallRecord {
  return {
    kind: 'toolCall',
    id: event.id,
    gen: event.gen,
    stateIndex: toolCallTable.initial,
    request: event.data.request,
    toolName: event.data.toolName,
    args: event.data.args,
    outcome: undefined,
    isError: undefined,
    startedAt: event.at,
    prev: undefined,
    next: undefined,
  };
}

/** `toolCall.started`: one more in flight (the record as for `startRequest`). */
export function startToolCall(
  state: CapturesState,
  generation: GenerationRecord,
  call: ToolCallRecord,
): void {
  generation.inFlight += 1;
  generation.activityVersion += 1;
  generation.toolCalls.push(call);
  state.entities?.set(call.id, call);
}

/** `toolCall.prepared`: the final name and arguments. */
export function prepareToolCall(event: ToolCallPrepared, call: ToolCallRecord): void {
  const next = toolCallTable.step(call.stateIndex, ToolCallEvent.PREPARE);
  if (next < 0) return;
  call.stateIndex = next;
  call.toolName = event.data.toolName;
  call.args = event.data.args;
}

/** `toolCall.result`: the outcome, once. */
export function recordToolCallResult(event: ToolCallResult, call: ToolCallRecord): void {
  const next = toolCallTable.step(call.stateIndex, ToolCallEvent.RESULT);
  if (next < 0) return;
  call.stateIndex = next;
  call.outcome = event.data.outcome;
  call.isError = event.data.isError;
}

/** `toolCall.finished`: one less in flight; the call leaves the projection. */
export function finishToolCall(
  state: CapturesState,
  generation: GenerationRecord,
  call: ToolCallRecord,
): void {
  const next = toolCallTable.step(call.stateIndex, ToolCallEvent.FINISH);
  if (next < 0) return;
  call.stateIndex = next;
  generation.toolCalls.remove(call);
  settle(state, generation, call);
}

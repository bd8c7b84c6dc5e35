import { captureTable, requestTable, toolCallTable } from '../../machines/compiledTables.js';
import type { ToolArgs, ToolCallOutcome } from '../events/types.js';
import type { CapturesState, GenerationRecord } from './captureRecords.js';

/** A live request as a plain, JSON-ready value. */
export interface RequestSnapshot {
  readonly id: string;
  readonly state: string;
  readonly method?: string;
  readonly startedAt: number;
}

/** A live tool call as a plain, JSON-ready value. */
export interface ToolCallSnapshot {
  readonly id: string;
  readonly state: string;
  readonly request?: string;
  readonly toolName: string;
  readonly args: ToolArgs;
  readonly prepared: boolean;
  readonly outcome?: ToolCallOutcome;
  readonly isError?: boolean;
  readonly startedAt: number;
}

/** One capture generation as a plain, JSON-ready value: what a host or a test asserts on. */
export interface CaptureSnapshot {
  readonly key: string;
  readonly gen: number;
  readonly state: string;
  /** False for an older generation of a reused key that still drains its own work. */
  readonly current: boolean;
  readonly inFlight: number;
  readonly activityVersion: number;
  readonly requests: readonly RequestSnapshot[];
  readonly toolCalls: readonly ToolCallSnapshot[];
}

/** Every live generation, in the order they began: the whole per-capture projection. */
export interface ProjectionSnapshot {
  /** The seq of the last event folded. */
  readonly seq: number;
  readonly captures: readonly CaptureSnapshot[];
}

/** Copy one generation out of the projection. Keys with no value are left out, not `undefined`. */
export function snapshotGeneration(record: GenerationRecord): CaptureSnapshot {
  const requests: RequestSnapshot[] = [];
  for (const request of record.requests) {
    requests.push({
      id: request.id,
      state: requestTable.states[request.stateIndex]!.value,
      ...(request.method === undefined ? {} : { method: request.method }),
      startedAt: request.startedAt,
    });
  }
  const toolCalls: ToolCallSnapshot[] = [];
  for (const call of record.toolCalls) {
    const state = toolCallTable.states[call.stateIndex]!;
    toolCalls.push({
      id: call.id,
      state: state.value,
      ...(call.request === undefined ? {} : { request: call.request }),
      toolName: call.toolName,
      args: call.args,
      prepared: state.context.prepared === true,
      ...(call.outcome === undefined ? {} : { outcome: call.outcome, isError: call.isError }),
      startedAt: call.startedAt,
    });
  }
  return {
    key: record.key,
    gen: record.gen,
    state: captureTable.states[record.state]!.value,
    current: record.current,
    inFlight: record.inFlight,
    activityVersion: record.activityVersion,
    requests,
    toolCalls,
  };
}

/** Copy the whole projection out, generations ordered by number. */
export function snapshotCaptures(state: CapturesState): ProjectionSnapshot {
  const captures = [...state.byGen.values()].sort((a, b) => a.gen - b.gen).map(snapshotGeneration);
  return { seq: state.seq, captures };
}

import type { ToolArgs, ToolCallOutcome } from '../events/types.js';

/** The state names of the request machine. */
export type RequestStateName = 'started' | 'classified' | 'finished';
/** The state names of the tool-call machine. */
export type ToolCallStateName = 'started' | 'prepared' | 'finished';

/** A request admitted by a tracker, bound to the capture generation current at admission. */
export interface RequestHandle {
  readonly kind: 'request';
  readonly id: string;
  readonly capture: string;
  readonly gen: number;
  /** The request machine's current state. */
  readonly state: RequestStateName;
}

/** A tool call admitted by a tracker, bound to its capture generation. */
export interface ToolCallHandle {
  readonly kind: 'toolCall';
  readonly id: string;
  readonly capture: string;
  readonly gen: number;
  /** The id of the request that carried the call, when it was started from one. */
  readonly request: string | undefined;
  /** The current tool name (after any `prepared`). */
  readonly toolName: string;
  /** The current arguments (after any `prepared`). */
  readonly args: ToolArgs;
  readonly prepared: boolean;
  readonly outcome: ToolCallOutcome | undefined;
  /** The tool-call machine's current state. */
  readonly state: ToolCallStateName;
  /** What `onToolCallStart` returned, if it returned a string. */
  readonly correlationId: string | undefined;
}

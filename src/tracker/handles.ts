import { requestTable, toolCallTable } from '../../machines/tables.js';
import type { ToolArgs, ToolCallOutcome } from '../events/types.js';
import type { GenerationRecord, RequestRecord, ToolCallRecord } from '../projections/captures.js';
import type { CaptureObservers } from './observers.js';

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

/** @internal The tracker's side of a request handle. */
export class RequestSlot implements RequestHandle {
  readonly kind = 'request';

  constructor(
    readonly owner: object,
    readonly generation: GenerationRecord,
    readonly record: RequestRecord,
    readonly observers: CaptureObservers | undefined,
  ) {}

  get id(): string {
    return this.record.id;
  }
  get capture(): string {
    return this.generation.key;
  }
  get gen(): number {
    return this.generation.gen;
  }
  get state(): RequestStateName {
    return requestTable.states[this.record.state]!.value as RequestStateName;
  }
}

/** @internal The tracker's side of a tool-call handle. */
export class ToolCallSlot implements ToolCallHandle {
  readonly kind = 'toolCall';
  correlationId: string | undefined = undefined;

  constructor(
    readonly owner: object,
    readonly generation: GenerationRecord,
    readonly record: ToolCallRecord,
    readonly observers: CaptureObservers | undefined,
  ) {}

  get id(): string {
    return this.record.id;
  }
  get capture(): string {
    return this.generation.key;
  }
  get gen(): number {
    return this.generation.gen;
  }
  get request(): string | undefined {
    return this.record.request;
  }
  get toolName(): string {
    return this.record.toolName;
  }
  get args(): ToolArgs {
    return this.record.args;
  }
  get prepared(): boolean {
    return toolCallTable.states[this.record.state]!.context.prepared === true;
  }
  get outcome(): ToolCallOutcome | undefined {
    return this.record.outcome;
  }
  get state(): ToolCallStateName {
    return toolCallTable.states[this.record.state]!.value as ToolCallStateName;
  }
}

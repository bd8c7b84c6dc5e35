// @internal The objects a tracker hands out: each is the host's handle and the projection's
// record at once, so admitting a request or a tool call allocates once.
import { requestTable, toolCallTable } from '../../machines/compiledTables.js';
import type {
  RequestStarted,
  ToolArgs,
  ToolCallOutcome,
  ToolCallStarted,
} from '../events/types.js';
import type {
  GenerationRecord,
  RequestRecord,
  ToolCallRecord,
} from '../projections/captureRecords.js';
import type {
  RequestHandle,
  RequestStateName,
  ToolCallHandle,
  ToolCallStateName,
} from './handles.js';
import type { CaptureObservers } from './observers.js';

/**
 * @internal A request as the tracker holds it: the handle the host gets and the projection's
 * record in one object, so that admitting a request allocates once.
 */
export class RequestSlot implements RequestHandle, RequestRecord {
  readonly kind = 'request';
  readonly id: string;
  readonly gen: number;
  stateIndex = requestTable.initial;
  method: string | undefined = undefined;
  readonly startedAt: number;
  prev: RequestRecord | undefined = undefined;
  next: RequestRecord | undefined = undefined;

  constructor(
    readonly owner: object,
    readonly generation: GenerationRecord,
    readonly observers: CaptureObservers | undefined,
    event: RequestStarted,
  ) {
    this.id = event.id;
    this.gen = event.gen;
    this.startedAt = event.at;
  }

  get capture(): string {
    return this.generation.key;
  }
  get state(): RequestStateName {
    return requestTable.states[this.stateIndex]!.value as RequestStateName;
  }
}

/** @internal A tool call as the tracker holds it: handle and projection record in one. */
export class ToolCallSlot implements ToolCallHandle, ToolCallRecord {
  readonly kind = 'toolCall';
  readonly id: string;
  readonly gen: number;
  stateIndex = toolCallTable.initial;
  readonly request: string | undefined;
  toolName: string;
  args: ToolArgs;
  outcome: ToolCallOutcome | undefined = undefined;
  isError: boolean | undefined = undefined;
  readonly startedAt: number;
  prev: ToolCallRecord | undefined = undefined;
  next: ToolCallRecord | undefined = undefined;
  correlationId: string | undefined = undefined;

  constructor(
    readonly owner: object,
    readonly generation: GenerationRecord,
    readonly observers: CaptureObservers | undefined,
    event: ToolCallStarted,
  ) {
    this.id = event.id;
    this.gen = event.gen;
    this.request = event.data.request;
    this.toolName = event.data.toolName;
    this.args = event.data.args;
    this.startedAt = event.at;
  }

  get capture(): string {
    return this.generation.key;
  }
  get prepared(): boolean {
    return toolCallTable.states[this.stateIndex]!.context.prepared === true;
  }
  get state(): ToolCallStateName {
    return toolCallTable.states[this.stateIndex]!.value as ToolCallStateName;
  }
}

import type { ToolArgs, ToolCallOutcome } from '../events/types.js';
import type { RequestHandle, ToolCallHandle } from './handles.js';

/** A tool name and arguments, before or after hooks rewrote them. */
export interface ToolCallSpec {
  readonly toolName: string;
  readonly args: ToolArgs;
}

/** What a tool call produced, as recorded by `toolCallResult`. */
export interface ToolCallOutcomeReport {
  readonly outcome: ToolCallOutcome;
  readonly isError: boolean;
  readonly result?: unknown;
  readonly reason?: string;
}

/**
 * Host callbacks for one capture generation, called after each accepted transition, in order.
 *
 * A callback that throws (or whose returned promise rejects) never changes the host's path: the
 * failure becomes an `observer.failed` event and a call to the tracker's `onObserverError`.
 */
export interface CaptureObservers {
  onRequestStart?: (request: RequestHandle) => void;
  /** `implicit` is true when the request finished before it was classified. */
  onRequestClassified?: (
    request: RequestHandle,
    info: { method?: string; implicit: boolean },
  ) => void;
  onRequestFinish?: (request: RequestHandle, info: { status?: number }) => void;
  /** May return a correlation id, kept as `handle.correlationId`. */
  onToolCallStart?: (call: ToolCallHandle) => string | void;
  onToolCallPrepared?: (
    call: ToolCallHandle,
    change: { previous: ToolCallSpec; current: ToolCallSpec },
  ) => void;
  onToolCallResult?: (call: ToolCallHandle, result: ToolCallOutcomeReport) => void;
  onToolCallFinish?: (call: ToolCallHandle, info: { prepared: boolean }) => void;
  /** A message the agent yielded from a request of this generation. */
  onYield?: (message: string, request: RequestHandle) => void | Promise<void>;
}

/** An observer or subscriber failure, as handed to `onObserverError` and `errors$`. */
export interface ObserverFailure {
  /** The callback that failed: an observer name, or `subscriber` for a bus listener. */
  readonly hook: string;
  readonly error: unknown;
  readonly capture: string | undefined;
  readonly gen: number | undefined;
  readonly id: string | undefined;
}

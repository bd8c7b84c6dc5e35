/** Machine-readable reasons a toolflight call refused its input. */
export type ToolflightErrorCode =
  | 'invalid_argument'
  | 'invalid_args'
  | 'foreign_handle'
  | 'invalid_event'
  | 'unsupported_version'
  | 'unknown_event_type'
  | 'not_json'
  | 'io_error'
  | 'truncated';

/**
 * An error a host can act on: a stable `code` and a message that says what to do instead.
 *
 * @example
 * try { tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: [] as never }); }
 * catch (error) { if (error instanceof ToolflightError && error.code === 'invalid_args') { ... } }
 */
export class ToolflightError extends Error {
  override readonly name = 'ToolflightError';

  constructor(
    readonly code: ToolflightErrorCode,
    message: string,
  ) {
    super(message);
  }
}

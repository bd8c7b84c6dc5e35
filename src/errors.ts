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
  | 'truncated'
  | 'missing_peer'
  | 'non_loopback_host';

/**
 * An error a host can act on: a stable `code` and a message that says what to do instead.
 * Every error toolflight throws on purpose is one (subclasses narrow `code`), so one
 * `instanceof ToolflightError` catches them all.
 *
 * @example
 * try { tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: [] as never }); }
 * catch (error) { if (error instanceof ToolflightError && error.code === 'invalid_args') { ... } }
 */
export class ToolflightError<C extends string = ToolflightErrorCode> extends Error {
  override readonly name: string = 'ToolflightError';

  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message of anything thrown: an `Error`'s message, or the value as text. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

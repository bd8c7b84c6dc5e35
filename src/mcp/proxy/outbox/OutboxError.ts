import { ToolflightError } from '../../../errors.js';

/** Machine-readable reasons the outbox refused to open, to write, or an operator's request. */
export type OutboxErrorCode =
  | 'open_failed'
  | 'not_an_outbox'
  | 'newer_version'
  | 'write_failed'
  | 'unknown_key'
  | 'outbox_closed';

/**
 * A failure of the durable outbox, naming the file and what to do instead. A call that could not
 * be queued is never answered "queued": the agent gets -32002 with this error's message.
 *
 * @example
 * try { outbox.retry('k1'); }
 * catch (error) { if (error instanceof OutboxError && error.code === 'unknown_key') { ... } }
 */
export class OutboxError extends ToolflightError<OutboxErrorCode> {
  override readonly name: string = 'OutboxError';
}

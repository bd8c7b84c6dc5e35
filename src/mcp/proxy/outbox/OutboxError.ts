import { ToolflightError } from '../../../errors.js';

/** Machine-readable reasons the outbox refused to open, to write, or an operator's request. */
export type OutboxErrorCode =
  /** better-sqlite3, the optional peer the outbox needs, is not installed or did not load. */
  | 'missing_peer'
  | 'open_failed'
  | 'not_an_outbox'
  | 'newer_version'
  | 'write_failed'
  /** The file at the outbox's path is no longer the one it opened (removed, replaced, overwritten). */
  | 'file_replaced'
  | 'outbox_closed';

/**
 * A failure of the durable outbox, naming the file and what to do instead; everything
 * `openOutbox` and an outbox's methods throw is one. A call that could not be queued is never
 * answered "queued": the agent gets -32002 with this error's message.
 *
 * @example
 * try { outbox.enqueue({ key, tool, args, now }); }
 * catch (error) { if (error instanceof OutboxError && error.code === 'file_replaced') { ... } }
 */
export class OutboxError extends ToolflightError<OutboxErrorCode> {
  override readonly name: string = 'OutboxError';
}

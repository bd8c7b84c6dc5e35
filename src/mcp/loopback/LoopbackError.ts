import { ToolflightError } from '../../errors.js';

/**
 * Machine-readable reasons the loopback server refused its configuration or a call, or a tool's
 * question to its agent (`no_session`, `capability_missing`).
 */
export type LoopbackErrorCode =
  | 'non_loopback_host'
  | 'invalid_option'
  | 'invalid_tool'
  | 'no_session'
  | 'capability_missing'
  | 'invalid_prompt'
  | 'invalid_resource'
  | 'listen_failed'
  | 'server_closed'
  | 'tracker_mismatch';

/**
 * An error from `toolflight/mcp` that a host can act on: a `ToolflightError` whose `code` says
 * what went wrong and whose message says what to do instead.
 *
 * These are configuration and lifecycle errors, thrown to the host. Nothing an agent sends over
 * HTTP ever throws one: agents get HTTP statuses, JSON-RPC errors or `isError` tool results.
 *
 * @example
 * try { await createLoopbackServer({ tracker, tools, host: '0.0.0.0' }); }
 * catch (error) { if (error instanceof LoopbackError && error.code === 'non_loopback_host') { ... } }
 */
export class LoopbackError extends ToolflightError<LoopbackErrorCode> {
  override readonly name: string = 'LoopbackError';
}

// @internal How the catalog handlers turn a request into checked params, and a host callback's
// outcome into a result or a JSON-RPC error the agent can read.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';

import { messageOf } from '../../errors.js';
import { schemaProblem, type SdkSchema } from './catalogEntries.js';
import type { LoopbackRequestContext } from './LoopbackRequestContext.js';

/** How a handler learns who asks, from the SDK's per-request `extra`. */
export type ContextOf = (
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
) => LoopbackRequestContext;

/**
 * The request checked against its full schema; -32602 saying what was expected otherwise.
 * Handlers are registered under a method-only schema so that this check runs: registered with
 * the full schema, the SDK parses first and answers -32603 (internal error) to params of the
 * wrong shape, where JSON-RPC asks for -32602 (invalid params).
 */
export function paramsOf<T>(schema: SdkSchema<T>, request: unknown, expected: string): T {
  const verdict = schema.safeParse(request);
  if (!verdict.success) throw new McpError(ErrorCode.InvalidParams, `Invalid params: ${expected}`);
  return verdict.data;
}

/** The same answer for an unknown prompt and an owner-only one asked by a non-owner. */
export const promptNotFound = (name: string): McpError =>
  new McpError(ErrorCode.InvalidParams, `prompt "${name}" not found`);

/**
 * What a host callback returned; a throw becomes -32603 carrying its message only, never its
 * stack (the agent reads it, as it reads a tool's thrown message in an `isError` result).
 */
export async function askHost(what: string, call: () => unknown): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    throw new McpError(ErrorCode.InternalError, `${what} failed: ${messageOf(error)}`);
  }
}

/** -32603 for a host result that is not what MCP expects, saying what is wrong with it. */
export function invalidResult(what: string, problem: string): McpError {
  return new McpError(ErrorCode.InternalError, `${what} returned an invalid result: ${problem}`);
}

/** `result` checked against the SDK's result schema; -32603 naming the wrong field otherwise. */
export function checkedResult<T>(schema: SdkSchema<T>, result: unknown, what: string): T {
  const verdict = schema.safeParse(result);
  if (verdict.success) return verdict.data;
  throw invalidResult(what, schemaProblem(schema, result) ?? 'it does not fit the MCP schema');
}

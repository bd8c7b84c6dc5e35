// @internal Checks of what a host passes to the tracker: blank means "nothing happens",
// a wrong type is a programming error that gets a typed error saying what to do instead.
import { ToolflightError } from '../errors.js';
import type { ToolArgs } from './types.js';

/** A trimmed name, or undefined for a missing or blank one; throws for a non-string. */
export function normalizeName(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ToolflightError('invalid_argument', `${what} must be a string, got ${typeof value}`);
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A JSON object: not null, not an array. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Tool arguments as MCP defines them: a JSON object; `undefined` means `{}`. */
export function checkArgs(args: unknown): ToolArgs {
  if (args === undefined) return {};
  if (!isJsonObject(args)) {
    const got = Array.isArray(args) ? 'an array' : args === null ? 'null' : typeof args;
    throw new ToolflightError(
      'invalid_args',
      `tool call arguments must be a JSON object, got ${got}: answer the agent with JSON-RPC -32602 instead of tracking the call`,
    );
  }
  return args;
}

/** An HTTP-like status: a finite number, or undefined. */
export function checkStatus(status: unknown): number | undefined {
  if (status === undefined) return undefined;
  if (typeof status !== 'number' || !Number.isFinite(status)) {
    throw new ToolflightError(
      'invalid_argument',
      `status must be a finite number, got ${typeof status === 'number' ? status : typeof status}`,
    );
  }
  return status;
}

/** Facts an endpoint attaches to an event (`rpc`, `error`): a JSON object, or undefined. */
export function checkFacts<T extends object>(value: T | undefined, what: string): T | undefined {
  if (value === undefined) return undefined;
  if (!isJsonObject(value)) {
    throw new ToolflightError('invalid_argument', `${what} must be an object, got ${typeof value}`);
  }
  return value;
}

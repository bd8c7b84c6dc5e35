// @internal Whether a call's arguments fit its tool's `inputSchema`, checked with the SDK's own
// JSON Schema validator (ajv) before a write is queued: a queued write that the upstream would
// refuse only becomes a dead letter hours later, when the agent can no longer fix it.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';

import { messageOf } from '../../../errors.js';

/** The first way `args` do not fit `tool.inputSchema`, or undefined when they fit (or cannot be checked). */
export type ArgumentsCheck = (
  tool: Tool,
  args: Readonly<Record<string, unknown>>,
) => string | undefined;

// The SDK's validator gives ajv's text, every error as `data<path> <message>` joined by ", ". A
// message may quote the schema (a pattern, a property name) and hold ", data " itself, so the
// cut is made only where a next error begins the way ajv's own messages begin.
const NEXT_ERROR = /, (?=data(?:\/\S*)? (?:must |boolean schema |property name ))/;

/** The first error of the validator's text, naming the arguments rather than ajv's `data`. */
const firstError = (text: string): string =>
  (text.split(NEXT_ERROR)[0] ?? text).replace(/^data/, 'arguments');

/**
 * A check that compiles each tool definition once, on its first call. A schema that does not
 * compile blocks nothing: `uncompilable` hears why, once per definition, and its calls pass.
 */
export function argumentsCheck(uncompilable: (tool: Tool, reason: string) => void): ArgumentsCheck {
  // Keyed by the definition itself: a new list brings new objects, compiled again; old ones go.
  const compiled = new WeakMap<Tool, JsonSchemaValidator<unknown> | undefined>();
  const validatorOf = (tool: Tool): JsonSchemaValidator<unknown> | undefined => {
    if (compiled.has(tool)) return compiled.get(tool);
    let validator: JsonSchemaValidator<unknown> | undefined;
    try {
      // One validator per definition: ajv caches schemas by `$id`, and one tool's `$id` must not
      // stand in for another's, or for an older definition of its own. It costs nothing extra:
      // compiling dominates.
      validator = new AjvJsonSchemaValidator().getValidator(tool.inputSchema);
    } catch (error) {
      uncompilable(tool, messageOf(error));
    }
    compiled.set(tool, validator);
    return validator;
  };
  return (tool, args) => {
    const result = validatorOf(tool)?.(args);
    return result === undefined || result.valid ? undefined : firstError(result.errorMessage);
  };
}

// @internal Fast acceptance of the common `tools/call` shapes. Each check accepts only values the
// SDK's schema accepts too (a property test holds them to it) and says "not sure" otherwise, when
// the caller asks the schema. The schema parse copies the whole value and was measured at 3 to 4
// µs per message on the proxy's path; most calls are a name with arguments and answer text.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

import { isJsonObject } from '../../events/validate.js';
import { onlyKeys } from './rpcShape.js';

const PARAMS = ['name', 'arguments', '_meta'];
const RESULT = ['content', 'structuredContent', 'isError'];
const TEXT = ['type', 'text'];

/** The params of a `tools/call` whose envelope (and so `_meta`) was checked already. */
export interface PlainCallParams {
  readonly name: string;
  readonly arguments?: Record<string, unknown>;
}

/**
 * True when `params` surely pass `CallToolRequestParamsSchema`: a string `name`, `arguments`
 * absent or an object, and nothing else but a `_meta` the envelope check has vouched for.
 */
export function isPlainCallParams(params: unknown): params is PlainCallParams {
  return (
    isJsonObject(params) &&
    typeof params.name === 'string' &&
    (params.arguments === undefined || isJsonObject(params.arguments)) &&
    onlyKeys(params, PARAMS)
  );
}

const isPlainText = (block: unknown): boolean =>
  isJsonObject(block) &&
  block.type === 'text' &&
  typeof block.text === 'string' &&
  onlyKeys(block, TEXT);

/**
 * True when `result` surely passes `CallToolResultSchema`: text content only, an optional
 * object `structuredContent` and boolean `isError`, nothing else.
 */
export function isPlainTextResult(result: unknown): result is CallToolResult {
  return (
    isJsonObject(result) &&
    Array.isArray(result.content) &&
    result.content.every(isPlainText) &&
    (result.structuredContent === undefined || isJsonObject(result.structuredContent)) &&
    (result.isError === undefined || typeof result.isError === 'boolean') &&
    onlyKeys(result, RESULT)
  );
}

/** The first text of an `isError` result, as the recorded reason (at most 500 characters). */
export function firstText(result: CallToolResult): string | undefined {
  const text = result.content.find((item) => item.type === 'text');
  return text?.type === 'text' ? text.text.slice(0, 500) : undefined;
}

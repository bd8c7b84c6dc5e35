// @internal Fast acceptance of the common `tools/call` shapes. Each check accepts only values the
// SDK's schema accepts too (a property test holds them to it) and says "not sure" otherwise, when
// the caller asks the schema. The schema parse copies the whole value and was measured at 3 to 4
// µs per message on the proxy's path; most calls are a name with arguments and answer text.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function onlyKeys(value: Fields, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

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
    isObject(params) &&
    typeof params.name === 'string' &&
    (params.arguments === undefined || isObject(params.arguments)) &&
    onlyKeys(params, PARAMS)
  );
}

const isPlainText = (block: unknown): boolean =>
  isObject(block) &&
  block.type === 'text' &&
  typeof block.text === 'string' &&
  onlyKeys(block, TEXT);

/**
 * True when `result` surely passes `CallToolResultSchema`: text content only, an optional
 * object `structuredContent` and boolean `isError`, nothing else.
 */
export function isPlainTextResult(result: unknown): result is CallToolResult {
  return (
    isObject(result) &&
    Array.isArray(result.content) &&
    result.content.every(isPlainText) &&
    (result.structuredContent === undefined || isObject(result.structuredContent)) &&
    (result.isError === undefined || typeof result.isError === 'boolean') &&
    onlyKeys(result, RESULT)
  );
}

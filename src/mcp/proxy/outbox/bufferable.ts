// The rule that decides whether a call the upstream cannot take may be queued. Pure.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

import { toolPattern } from '../../endpoint/toolPattern.js';

/**
 * A predicate over a tool name and its listed definition (undefined when the upstream never
 * listed it), deciding whether a write to it may wait in the outbox:
 *
 * | listed | `readOnlyHint` | `idempotentHint` | name in `patterns` | bufferable |
 * | --- | --- | --- | --- | --- |
 * | any | true | any | any | no: reads are never buffered |
 * | yes, with an `outputSchema` | any | any | any | no: the agent needs its structured result |
 * | yes | not true | true | any | yes |
 * | yes | not true | not true | yes | yes |
 * | yes | not true | not true | no | no |
 * | no | - | - | yes | yes |
 * | no | - | - | no | no |
 *
 * @example
 * const rule = bufferableRule(['send_*']);
 * rule('send_mail', listedTool); // true unless the tool says readOnlyHint
 */
export function bufferableRule(
  patterns: readonly string[] = [],
): (name: string, tool: Tool | undefined) => boolean {
  const matchers = patterns.map(toolPattern);
  return (name, tool) => {
    const hints = tool?.annotations;
    if (hints?.readOnlyHint === true) return false;
    // A "queued" answer cannot satisfy a declared output schema (the SDK client rejects it), and
    // a tool that declares one says its caller needs the result.
    if (tool?.outputSchema !== undefined) return false;
    if (matchers.some((re) => re.test(name))) return true;
    return tool !== undefined && hints?.idempotentHint === true;
  };
}

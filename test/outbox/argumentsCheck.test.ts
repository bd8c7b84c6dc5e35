// The check that refuses a bufferable write whose arguments do not fit its tool's inputSchema
// before it is queued, rather than leaving the upstream to dead-letter it later.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { argumentsCheck } from '../../src/mcp/proxy/outbox/argumentsCheck.js';

/** A string property whose pattern holds the text ajv joins its errors with. */
const tricky = { a: { type: 'string', pattern: '^x, data y$' } };

describe('the argument check before a write is queued', () => {
  it('names the first error only, as the arguments, even when a message quotes ", data "', () => {
    const check = argumentsCheck(() => undefined);
    const tool: Tool = {
      name: 't',
      inputSchema: { type: 'object', properties: tricky, required: ['b', 'c'] },
    };
    expect(check(tool, { a: 'q' })).toBe("arguments must have required property 'b'");
    expect(check(tool, { a: 'x, data y', b: 1, c: 2 })).toBeUndefined();
    const patternFirst: Tool = { name: 'p', inputSchema: { type: 'object', properties: tricky } };
    expect(check(patternFirst, { a: 'q' })).toBe('arguments/a must match pattern "^x, data y$"');
  });

  it('lets the calls of a schema that does not compile pass, and says so once per definition', () => {
    const uncompilable: string[] = [];
    const check = argumentsCheck(
      (tool, reason) => void uncompilable.push(`${tool.name}: ${reason}`),
    );
    const broken: Tool = { name: 'broken', inputSchema: { type: 'object', $ref: '#/nowhere' } };
    expect(check(broken, {})).toBeUndefined();
    expect(check(broken, { any: 'thing' })).toBeUndefined();
    expect(uncompilable).toEqual(["broken: can't resolve reference #/nowhere from id #"]);
    // A new definition (a new list) is compiled again.
    expect(check({ ...broken }, {})).toBeUndefined();
    expect(uncompilable).toHaveLength(2);
  });
});

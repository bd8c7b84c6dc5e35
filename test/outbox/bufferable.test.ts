import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { bufferableRule } from '../../src/mcp/index.js';

const tool = (annotations?: Tool['annotations']): Tool => ({
  name: 't',
  inputSchema: { type: 'object' },
  ...(annotations === undefined ? {} : { annotations }),
});

describe('the bufferable rule', () => {
  const rule = bufferableRule(['send_*', 'exact']);
  it.each([
    ['a listed idempotent write', 'x', tool({ idempotentHint: true }), true],
    ['a listed idempotent read', 'x', tool({ idempotentHint: true, readOnlyHint: true }), false],
    ['a listed write without hints', 'x', tool(), false],
    ['a listed non-idempotent write', 'x', tool({ idempotentHint: false }), false],
    ['a configured listed write without hints', 'send_mail', tool(), true],
    ['a configured read', 'send_mail', tool({ readOnlyHint: true }), false],
    ['a configured name never listed', 'exact', undefined, true],
    ['an unconfigured name never listed', 'other', undefined, false],
    ['a near miss of a pattern', 'resend_mail', undefined, false],
    [
      'a configured idempotent write that declares an output schema',
      'send_mail',
      { ...tool({ idempotentHint: true }), outputSchema: { type: 'object' as const } },
      false,
    ],
  ])('%s: %s', (_, name, listed, expected) => {
    expect(rule(name, listed)).toBe(expected);
  });
});

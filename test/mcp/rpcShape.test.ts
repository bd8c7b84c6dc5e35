import { JSONRPCMessageSchema, RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { isJsonRpcMessage } from '../../src/mcp/endpoint/rpcShape.js';
import { prng } from '../support/script.js';

/** Values that sit on the edges of what the SDK's schemas accept. */
const SCALARS: readonly unknown[] = [
  '2.0',
  '2',
  '',
  'tools/call',
  0,
  -0,
  7,
  -3,
  1.5,
  2 ** 53 - 1,
  2 ** 53,
  1e21,
  true,
  null,
  [],
  [1],
  {},
];

/** Random JSON values shaped like JSON-RPC messages, most of them almost right. */
function generator(seed: number): () => unknown {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maybe = (p: number): boolean => random() < p;
  const meta = (): unknown =>
    maybe(0.15)
      ? pick(SCALARS)
      : {
          ...(maybe(0.5)
            ? { progressToken: maybe(0.6) ? pick([1, 'tok', 0]) : pick(SCALARS) }
            : {}),
          ...(maybe(0.3)
            ? {
                [RELATED_TASK_META_KEY]: maybe(0.6)
                  ? { taskId: maybe(0.7) ? 'task-1' : pick(SCALARS), extra: 1 }
                  : pick(SCALARS),
              }
            : {}),
          ...(maybe(0.3) ? { 'vendor/x': pick(SCALARS) } : {}),
        };
  const bag = (): unknown =>
    maybe(0.15)
      ? pick(SCALARS)
      : {
          ...(maybe(0.6) ? { _meta: meta() } : {}),
          ...(maybe(0.5) ? { name: 'echo', arguments: { text: 'x' } } : {}),
        };
  const error = (): unknown =>
    maybe(0.15)
      ? pick(SCALARS)
      : {
          ...(maybe(0.9) ? { code: maybe(0.7) ? -32601 : pick(SCALARS) } : {}),
          ...(maybe(0.9) ? { message: maybe(0.7) ? 'no' : pick(SCALARS) } : {}),
          ...(maybe(0.4) ? { data: pick(SCALARS) } : {}),
          ...(maybe(0.1) ? { extra: 1 } : {}),
        };
  return () => {
    if (maybe(0.05)) return pick(SCALARS);
    const message: Record<string, unknown> = {};
    if (maybe(0.9)) message.jsonrpc = maybe(0.9) ? '2.0' : pick(SCALARS);
    if (maybe(0.6)) message.id = maybe(0.7) ? pick([1, 'a', 0]) : pick(SCALARS);
    const kind = pick(['request', 'result', 'error', 'mixed']);
    if (kind === 'request' || kind === 'mixed') {
      message.method = maybe(0.9) ? 'tools/call' : pick(SCALARS);
      if (maybe(0.7)) message.params = bag();
    }
    if (kind === 'result' || (kind === 'mixed' && maybe(0.5))) message.result = bag();
    if (kind === 'error' || (kind === 'mixed' && maybe(0.5))) message.error = error();
    if (maybe(0.08)) message[pick(['extra', '__proto__', 'ID', 'params'])] = pick(SCALARS);
    // Through JSON and back, as the proxy sees it (own `__proto__` keys included).
    return JSON.parse(JSON.stringify(message)) as unknown;
  };
}

describe('isJsonRpcMessage', () => {
  it('gives the SDK schema verdict on 20,000 random near-messages', () => {
    const seed = 20_261_121;
    const next = generator(seed);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = next();
      const expected = JSONRPCMessageSchema.safeParse(value).success;
      if (isJsonRpcMessage(value) !== expected) {
        throw new Error(
          `seed ${seed}, case ${i}: SDK says ${expected} for ${JSON.stringify(value)}`,
        );
      }
      if (expected) valid++;
    }
    // Both verdicts are well represented, or the comparison proves little.
    expect(valid).toBeGreaterThan(2_000);
    expect(valid).toBeLessThan(18_000);
  });

  it('refuses an own __proto__ key and a message that is two kinds at once', () => {
    for (const text of [
      '{"jsonrpc":"2.0","method":"ping","__proto__":{}}',
      '{"jsonrpc":"2.0","id":1,"method":"ping","result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}',
    ]) {
      const value: unknown = JSON.parse(text);
      expect(JSONRPCMessageSchema.safeParse(value).success, text).toBe(false);
      expect(isJsonRpcMessage(value), text).toBe(false);
    }
  });
});

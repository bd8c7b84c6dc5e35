import {
  CallToolRequestParamsSchema,
  CallToolResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { isPlainCallParams, isPlainTextResult } from '../../src/mcp/endpoint/callShape.js';
import { prng } from '../support/script.js';

const ODD: readonly unknown[] = ['', 'x', 0, 1.5, true, null, [], [1], {}, { a: 1 }];

function generator(seed: number) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maybe = (p: number): boolean => random() < p;
  const block = (): unknown =>
    maybe(0.1)
      ? pick(ODD)
      : {
          type: maybe(0.85) ? 'text' : pick(['image', 'resource', 1, null]),
          ...(maybe(0.9) ? { text: maybe(0.85) ? 'hello' : pick(ODD) } : {}),
          ...(maybe(0.08) ? { annotations: { priority: pick([0.5, 2, 'x']) } } : {}),
          ...(maybe(0.05) ? { data: 'AAAA', mimeType: 'image/png' } : {}),
        };
  const through = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
  return {
    params: (): unknown =>
      through(
        maybe(0.05)
          ? pick(ODD)
          : {
              ...(maybe(0.9) ? { name: maybe(0.85) ? 'echo' : pick(ODD) } : {}),
              ...(maybe(0.7) ? { arguments: maybe(0.8) ? { text: 'x', n: [1] } : pick(ODD) } : {}),
              ...(maybe(0.1) ? { task: { ttl: pick([1, 'x']) } } : {}),
              ...(maybe(0.05) ? { [pick(['__proto__', 'extra'])]: pick(ODD) } : {}),
            },
      ),
    result: (): unknown =>
      through(
        maybe(0.05)
          ? pick(ODD)
          : {
              ...(maybe(0.9)
                ? {
                    content: maybe(0.9)
                      ? Array.from({ length: pick([0, 1, 2, 3]) }, block)
                      : pick(ODD),
                  }
                : {}),
              ...(maybe(0.3) ? { structuredContent: maybe(0.8) ? { n: 1 } : pick(ODD) } : {}),
              ...(maybe(0.3) ? { isError: maybe(0.8) ? pick([true, false]) : pick(ODD) } : {}),
              ...(maybe(0.05) ? { [pick(['_meta', 'toolResult', '__proto__'])]: pick(ODD) } : {}),
            },
      ),
  };
}

describe('the fast tools/call checks', () => {
  it('accept only what the SDK schemas accept, and most of the usual shapes', () => {
    const seed = 5_150_2026;
    const next = generator(seed);
    let params = 0;
    let results = 0;
    for (let i = 0; i < 20_000; i++) {
      const p = next.params();
      if (isPlainCallParams(p)) {
        params++;
        if (!CallToolRequestParamsSchema.safeParse(p).success) {
          throw new Error(`seed ${seed}, case ${i}: fast-accepted params ${JSON.stringify(p)}`);
        }
      }
      const r = next.result();
      if (isPlainTextResult(r)) {
        results++;
        if (!CallToolResultSchema.safeParse(r).success) {
          throw new Error(`seed ${seed}, case ${i}: fast-accepted result ${JSON.stringify(r)}`);
        }
      }
    }
    // Not vacuous: many values take the fast way.
    expect(params).toBeGreaterThan(5_000);
    expect(results).toBeGreaterThan(5_000);
  });

  it('takes the plain shapes an agent and a server usually send', () => {
    expect(isPlainCallParams({ name: 'echo', arguments: { text: 'x' } })).toBe(true);
    expect(isPlainCallParams({ name: 'echo', _meta: { progressToken: 1 } })).toBe(true);
    const text = { content: [{ type: 'text', text: 'ok' }] };
    expect(isPlainTextResult(text)).toBe(true);
    expect(isPlainTextResult({ ...text, structuredContent: { n: 1 }, isError: false })).toBe(true);
    // Richer shapes are left to the schema.
    expect(isPlainTextResult({ content: [{ type: 'image', data: 'AA', mimeType: 'x' }] })).toBe(
      false,
    );
    expect(isPlainTextResult({})).toBe(false);
  });
});

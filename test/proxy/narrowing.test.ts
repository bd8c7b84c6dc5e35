import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { hideTools } from '../../src/mcp/index.js';
import { narrowTools } from '../../src/mcp/proxy/narrowTools.js';

/** A small seeded generator (mulberry32): the same seed, the same cases, every run. */
function seeded(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Random = ReturnType<typeof seeded>;

const tool = (name: string, description?: string): Tool => ({
  name,
  ...(description === undefined ? {} : { description }),
  inputSchema: { type: 'object' },
});

/** Narrowers that misbehave every way one can: invent, rename, rewrite, repeat, reorder. */
const narrowers: readonly ((random: Random) => (tools: readonly Tool[]) => readonly Tool[])[] = [
  (random) => (tools) => tools.filter(() => random.next() < 0.5),
  () => (tools) => [...tools, tool('invented'), tool(`x${tools.length}`)],
  () => (tools) => tools.map((t) => ({ ...t, name: `${t.name}_renamed` })),
  () => (tools) =>
    tools.map((t) => ({
      ...t,
      description: 'rewritten',
      inputSchema: { type: 'object' as const, properties: { extra: {} } },
    })),
  () => (tools) => [...tools, ...tools].reverse(),
  () => () => [],
  (random) => (tools) =>
    tools.length === 0 ? [tool('only')] : [random.pick(tools), tool(random.pick(tools).name + '?')],
];

describe('proxy: narrow-never-widen', () => {
  it('keeps every narrowed list a subset of the upstream list, with upstream definitions and order (1,000 seeded cases)', () => {
    const random = seeded(20261121);
    for (let round = 0; round < 1000; round++) {
      const upstream = Array.from({ length: random.int(12) }, (_, i) =>
        tool(`t${i}_${random.int(5)}`, `d${i}`),
      );
      const narrow = random.pick(narrowers)(random);
      const visible = narrowTools(upstream, narrow, undefined);
      const positions = visible.map((t) => upstream.indexOf(t));
      expect(
        positions.every((p) => p >= 0),
        `round ${round}`,
      ).toBe(true);
      expect(positions, `round ${round}`).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('hides tools by name with * and ? wildcards', () => {
    const upstream = ['send_mail', 'delete_file', 'delete_dir', 'admin', 'admins', 'read'].map(
      (name) => tool(name),
    );
    const visible = narrowTools(upstream, hideTools(['delete_*', 'admin', 'rea?']), undefined);
    expect(visible.map((t) => t.name)).toEqual(['send_mail', 'admins']);
  });
});

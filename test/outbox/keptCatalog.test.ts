// The kept catalog's checks and limits: it is another party's data, read back from a file that
// may have been edited since.
import { join } from 'node:path';

import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { openOutbox, type KeptCatalogRow } from '../../src/mcp/index.js';
import { catalogKeeper } from '../../src/mcp/proxy/outbox/catalogKeeper.js';
import { KEPT_LIMITS, keptRowOf, readKeptCatalog } from '../../src/mcp/proxy/outbox/keptCatalog.js';
import { onCleanup, tempDir } from './support.js';

const TOOLS: Tool[] = [
  { name: 'write_a', inputSchema: { type: 'object' }, annotations: { idempotentHint: true } },
];
const INIT = {
  protocolVersion: '2025-06-18',
  capabilities: { tools: {} },
  serverInfo: { name: 'up', version: '2' },
};

const rowOf = (part: 'tools' | 'initialize', value: unknown, server = 'up:1'): KeptCatalogRow => {
  const made = keptRowOf(part, JSON.stringify(value), server, 7);
  if (!('row' in made)) throw new Error(made.problem);
  return made.row;
};

describe('the kept catalog, read back', () => {
  it('gives both parts when every check holds', () => {
    const { catalog, problems } = readKeptCatalog(
      [rowOf('initialize', { ...INIT, _meta: { x: 1 } }), rowOf('tools', TOOLS)],
      'up:1',
    );
    expect(problems).toEqual([]);
    expect(catalog).toEqual({ tools: TOOLS, initialize: INIT });
  });

  it('ignores each row that is damaged, mismatched, foreign or too large, saying why', () => {
    const good = rowOf('tools', TOOLS);
    const cases: [KeptCatalogRow, RegExp][] = [
      [{ ...good, json: good.json.replace('write_a', 'write_b') }, /does not match its digest/],
      [rowOf('tools', TOOLS, 'other:2'), /kept for the upstream other:2.* is up:1/],
      [rowOf('tools', [{ name: 'no_schema' }]), /not a valid tool list \(tools\.0\.inputSchema/],
      [rowOf('initialize', { serverInfo: {} }), /not a valid initialize result/],
      [{ ...good, part: 'resources' }, /not a part this toolflight keeps/],
    ];
    for (const [row, why] of cases) {
      const { catalog, problems } = readKeptCatalog([row], 'up:1');
      expect(catalog).toEqual({});
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(why);
    }
    const notJson = keptRowOf('tools', '{"tools":', 'up:1', 1);
    if (!('row' in notJson)) throw new Error(notJson.problem);
    expect(readKeptCatalog([notJson.row], 'up:1').problems).toEqual([
      'the kept tools part was ignored: it is damaged: not JSON',
    ]);
  });

  it('refuses to keep a list over its limit', () => {
    const huge = 'x'.repeat(KEPT_LIMITS.tools);
    expect(
      keptRowOf('tools', JSON.stringify([{ ...TOOLS[0], description: huge }]), 's', 1),
    ).toEqual({
      problem: expect.stringMatching(
        /^it is 2097\d{3} bytes of JSON, over the 2097152 an outbox keeps$/,
      ) as unknown,
    });
  });
});

describe('the catalog keeper', () => {
  it('forgets the copy kept before when a newer list is too large to keep, and warns once', async () => {
    const outbox = openOutbox(join(await tempDir(), 'outbox.db'));
    onCleanup(() => Promise.resolve(outbox.close()));
    const warnings: string[] = [];
    const host = {
      server: 'up:1',
      scheduler: new VirtualTimeScheduler(),
      logger: { warn: (message: string) => void warnings.push(message) },
    };
    const keeper = catalogKeeper(outbox, host);
    keeper.keep({ tools: TOOLS, initialize: INIT });
    expect(catalogKeeper(outbox, host).kept).toEqual({ tools: TOOLS, initialize: INIT });

    const huge = [{ ...TOOLS[0]!, description: 'x'.repeat(KEPT_LIMITS.tools) }];
    keeper.keep({ tools: huge });
    keeper.keep({ tools: huge });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^outbox .*: the upstream's tools part was not kept for a cold start: it is 2097\d{3} bytes of JSON, over the 2097152 an outbox keeps; the copy kept before is forgotten$/,
      ) as unknown,
    ]);
    expect(outbox.keptCatalog().map((row) => row.part)).toEqual(['initialize']);
  });

  it('writes nothing for a list it kept already', async () => {
    const outbox = openOutbox(join(await tempDir(), 'outbox.db'));
    onCleanup(() => Promise.resolve(outbox.close()));
    const scheduler = new VirtualTimeScheduler();
    const keeper = catalogKeeper(outbox, { server: 'up:1', scheduler, logger: undefined });
    keeper.keep({ tools: TOOLS });
    scheduler.frame = 500;
    keeper.keep({ tools: [...TOOLS] });
    expect(outbox.keptCatalog().map((row) => row.keptAt)).toEqual([0]);
  });
});

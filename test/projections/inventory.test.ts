import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  emptyInventory,
  foldInventory,
  inventoryOf,
  type ConfiguredServer,
  type InventoryOptions,
} from '../../src/index.js';
import { hideTools } from '../../src/mcp/proxy/narrowTools.js';

const tool = (name: string, description = `${name} it`) => ({
  name,
  description,
  inputSchema: { type: 'object' },
});

const FS: ConfiguredServer = { name: 'fs', config: 'cfg-fs-1', transport: 'stdio' };
const GIT: ConfiguredServer = { name: 'git', config: 'cfg-git-1', transport: 'http' };

/** A log on a clock the test sets; `inventory()` folds all of it and reads the result. */
function given() {
  let now = 1_000;
  const store = createMemoryStore();
  const tracker = createTracker({ store, clock: () => now });
  const log = {
    tracker,
    at(ms: number) {
      now = ms;
      return log;
    },
    configured(...servers: ConfiguredServer[]) {
      tracker.note('gateway.configured', { servers });
      return log;
    },
    upstream(server: string, state: string, extra: Record<string, unknown> = {}) {
      tracker.note('upstream.changed', { server, state, ...extra });
      return log;
    },
    listed(server: string, tools: readonly unknown[], extra: Record<string, unknown> = {}) {
      tracker.note('catalog.listed', { server, tools, fingerprint: `fp-${server}`, ...extra });
      return log;
    },
    context(context: unknown, capture?: string) {
      tracker.note('context.changed', capture === undefined ? { context } : { context, capture });
      return log;
    },
    events: () => store.events(),
    state: () => store.events().reduce(foldInventory, emptyInventory()),
    inventory: (options?: InventoryOptions) => inventoryOf(log.state(), options),
  };
  return log;
}

const server = (log: ReturnType<typeof given>, name: string, options?: InventoryOptions) =>
  log.inventory(options).servers.find((entry) => entry.server === name)!;

describe('inventory', () => {
  it('shows every configured server as not yet connected before anything connects', () => {
    const log = given().configured(FS, GIT).upstream('fs', 'connecting');
    expect(log.inventory()).toEqual({
      at: 1_000,
      servers: [
        {
          server: 'fs',
          configured: true,
          transport: 'stdio',
          state: 'connecting',
          since: 1_000,
          stderrTail: [],
          notice: 'mcp-not-yet-connected',
          tools: [],
        },
        {
          server: 'git',
          configured: true,
          transport: 'http',
          state: 'never',
          stderrTail: [],
          notice: 'mcp-not-yet-connected',
          tools: [],
        },
      ],
      tools: [],
    });
  });

  it('says not yet listed once a server was up, also while it reconnects', () => {
    const log = given().configured(FS).upstream('fs', 'up');
    expect(server(log, 'fs')).toMatchObject({ state: 'up', notice: 'mcp-not-yet-listed' });
    log.at(1_500).upstream('fs', 'down', { reason: 'ECONNRESET', retryInMs: 250 });
    log.at(1_750).upstream('fs', 'connecting');
    expect(server(log, 'fs')).toMatchObject({
      state: 'connecting',
      since: 1_750,
      notice: 'mcp-not-yet-listed',
      tools: [],
    });
  });

  it('shows a listed server’s tools under their final names, and every tool sorted by name', () => {
    const log = given()
      .configured(GIT, FS)
      .upstream('fs', 'up')
      .upstream('git', 'up')
      .listed('fs', [tool('write'), tool('read')], { config: 'cfg-fs-1' })
      .at(1_200)
      .listed('git', [tool('log')], { config: 'cfg-git-1' });
    const inventory = log.inventory({ at: 1_300 });
    expect(inventory.servers.map((entry) => entry.server)).toEqual(['git', 'fs']);
    expect(server(log, 'fs', { at: 1_300 })).toEqual({
      server: 'fs',
      configured: true,
      transport: 'stdio',
      state: 'up',
      since: 1_000,
      stderrTail: [],
      listedAt: 1_000,
      catalogAgeMs: 300,
      fingerprint: 'fp-fs',
      tools: [
        {
          name: 'fs__write',
          server: 'fs',
          tool: 'write',
          definition: tool('fs__write', 'write it'),
        },
        { name: 'fs__read', server: 'fs', tool: 'read', definition: tool('fs__read', 'read it') },
      ],
    });
    expect(inventory.tools.map((entry) => entry.name)).toEqual([
      'fs__read',
      'fs__write',
      'git__log',
    ]);
  });

  it('measures catalog age at the time asked, else at the last event the inventory folded', () => {
    const log = given()
      .configured(FS)
      .listed('fs', [tool('read')], { config: 'cfg-fs-1' });
    log.at(4_000).upstream('fs', 'down', { reason: 'EPIPE' });
    expect(server(log, 'fs')).toMatchObject({ listedAt: 1_000, catalogAgeMs: 3_000 });
    expect(server(log, 'fs', { at: 61_000 })).toMatchObject({ catalogAgeMs: 60_000 });
    expect(log.inventory({ at: 61_000 }).at).toBe(61_000);
  });

  it('keeps showing a down server’s cached tools, with when it retries', () => {
    const log = given()
      .configured(FS)
      .upstream('fs', 'up')
      .listed('fs', [tool('read')], { config: 'cfg-fs-1' })
      .at(2_000)
      .upstream('fs', 'down', { reason: 'ECONNREFUSED', retryInMs: 500 })
      .at(2_500)
      .upstream('fs', 'down', { reason: 'ECONNREFUSED', retryInMs: 1_000 });
    expect(server(log, 'fs')).toMatchObject({
      state: 'down',
      // Still the same outage: since stays, the retry time moves.
      since: 2_000,
      retryAt: 3_500,
      reason: 'ECONNREFUSED',
      tools: [{ name: 'fs__read' }],
    });
    expect(server(log, 'fs').notice).toBeUndefined();
  });

  it('keeps the last 8 stderr lines of an exited server, without taking them for state changes', () => {
    const log = given().configured(FS).upstream('fs', 'up');
    for (let line = 1; line <= 10; line++)
      log.at(1_000 + line).upstream('fs', 'up', { stderr: `line ${line}` });
    log.at(2_000).upstream('fs', 'exited', { reason: 'exit code 1' });
    expect(server(log, 'fs')).toMatchObject({
      state: 'exited',
      since: 2_000,
      reason: 'exit code 1',
      stderrTail: ['line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10'],
      notice: 'mcp-not-yet-listed',
    });
    // A stderr line noted under another state still changes nothing but the tail.
    log.at(2_100).upstream('fs', 'connecting', { stderr: 'line 11' });
    expect(server(log, 'fs')).toMatchObject({ state: 'exited', since: 2_000 });
    expect(server(log, 'fs').stderrTail.at(-1)).toBe('line 11');
  });

  it('calls a catalog stale once the configuration changes, and fresh when the server relists', () => {
    const log = given()
      .configured(FS)
      .upstream('fs', 'up')
      .listed('fs', [tool('read')], { config: 'cfg-fs-1' })
      .configured({ ...FS, config: 'cfg-fs-2' });
    expect(server(log, 'fs')).toMatchObject({
      notice: 'mcp-stale-catalog',
      listedAt: 1_000,
      tools: [],
    });
    log.listed('fs', [tool('read'), tool('write')], { config: 'cfg-fs-2' });
    expect(server(log, 'fs').notice).toBeUndefined();
    expect(server(log, 'fs').tools.map((entry) => entry.name)).toEqual(['fs__read', 'fs__write']);
  });

  it('takes a configuration read now over the log’s', () => {
    const log = given()
      .configured(FS)
      .listed('fs', [tool('read')], { config: 'cfg-fs-1' });
    const now = { servers: [{ ...FS, config: 'cfg-fs-2' }, GIT] };
    expect(log.inventory(now).servers.map((entry) => [entry.server, entry.notice])).toEqual([
      ['fs', 'mcp-stale-catalog'],
      ['git', 'mcp-not-yet-connected'],
    ]);
  });

  it('calls a list without a configuration fingerprint stale when the configuration has one', () => {
    // Nothing ties such a list to this configuration: it might come from an older one.
    const log = given()
      .configured(FS)
      .listed('fs', [tool('read')]);
    expect(server(log, 'fs').notice).toBe('mcp-stale-catalog');
  });

  it('shows a kept catalog as listed, marked kept, until the server lists its own', () => {
    const log = given()
      .configured(FS)
      // A gateway stamps no configuration on a kept list: it may come from another.
      .listed('fs', [tool('read')], { kept: true });
    expect(server(log, 'fs')).toMatchObject({
      state: 'never',
      kept: true,
      tools: [{ name: 'fs__read' }],
    });
    log.upstream('fs', 'up').listed('fs', [tool('read')], { config: 'cfg-fs-1' });
    expect(server(log, 'fs')).not.toHaveProperty('kept');
  });

  it('narrows with the capture’s own context, else the host-wide one, under final names', () => {
    const seen: unknown[] = [];
    const narrow: InventoryOptions['narrow'] = (tools, context) => {
      seen.push(tools.map((entry) => entry.name));
      const allowed = (context as { allow?: string[] } | undefined)?.allow ?? [];
      return tools.filter((entry) => allowed.includes(entry.name));
    };
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read'), tool('write')])
      .context({ allow: ['fs__read'] })
      .context({ allow: ['fs__read', 'fs__write'] }, 'run-1');
    const names = (capture?: string) =>
      log
        .inventory({ narrow, ...(capture === undefined ? {} : { capture }) })
        .tools.map((entry) => entry.name);
    expect(names()).toEqual(['fs__read']);
    expect(names('run-1')).toEqual(['fs__read', 'fs__write']);
    expect(names('run-2')).toEqual(['fs__read']);
    expect(seen[0]).toEqual(['fs__read', 'fs__write']);
    expect(log.inventory({ capture: 'run-1' }).capture).toBe('run-1');
  });

  it('never widens: invented, renamed or rewritten tools from a narrower count for nothing', () => {
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read'), tool('write')]);
    const inventory = log.inventory({
      narrow: (tools) => {
        (tools[0] as { description?: string }).description = 'rewritten';
        return [
          { ...tools[0]!, inputSchema: { type: 'object', properties: { x: {} } } },
          { name: 'fs__delete' },
          { name: 'write' },
          null as never,
        ];
      },
    });
    expect(inventory.tools).toEqual([
      { name: 'fs__read', server: 'fs', tool: 'read', definition: tool('fs__read', 'read it') },
    ]);
  });

  it('accepts a proxy’s narrower as it is', () => {
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read'), tool('delete')]);
    const inventory = log.inventory({ narrow: hideTools(['fs__delete']) });
    expect(inventory.tools.map((entry) => entry.name)).toEqual(['fs__read']);
  });

  it('shows no tools when the narrower throws, and says why on every server it would show', () => {
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read')])
      .upstream('git', 'up')
      .listed('git', [tool('log')]);
    const inventory = log.inventory({
      narrow: (tools) => {
        if (tools.some((entry) => entry.name.startsWith('fs__'))) throw new Error('policy: no fs');
        return tools;
      },
    });
    for (const server of ['fs', 'git']) {
      expect(inventory.servers.find((entry) => entry.server === server)).toMatchObject({
        narrowError: 'policy: no fs',
        tools: [],
      });
    }
    expect(inventory.tools).toEqual([]);
  });

  it("narrows every server's tools at once, as the gateway does", () => {
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read'), tool('write')])
      .upstream('git', 'up')
      .listed('git', [tool('log')]);
    // A narrower that decides over the whole list, not tool by tool.
    const inventory = log.inventory({ narrow: (tools) => tools.slice(0, 2) });
    expect(inventory.tools.map((entry) => entry.name)).toEqual(['fs__read', 'fs__write']);
  });

  it('names tools before narrowing, so hiding one renames nothing', () => {
    // `a b` and `a/b` both want `fs__a_b`; hiding the first must not hand its name on.
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('a/b'), tool('a b')]);
    const inventory = log.inventory({ narrow: (tools) => tools.slice(0, 1) });
    expect(inventory.tools.map((entry) => [entry.tool, entry.name])).toEqual([
      ['a/b', 'fs__a_b-2'],
    ]);
  });

  it('gives no reserved name out', () => {
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read')]);
    expect(log.inventory({ reserved: ['fs__read'] }).tools[0]!.name).toBe('fs__read-2');
  });

  it('lists servers only the log names after the configured ones, without serving their tools', () => {
    const log = given()
      .configured(GIT)
      .upstream('zeta', 'up')
      .listed('zeta', [tool('read')])
      .upstream('alpha', 'down', { reason: 'gone' });
    expect(log.inventory().servers.map((entry) => [entry.server, entry.configured])).toEqual([
      ['git', true],
      ['alpha', false],
      ['zeta', false],
    ]);
    expect(server(log, 'zeta')).toMatchObject({ state: 'up', listedAt: 1_000, tools: [] });
    expect(server(log, 'zeta').notice).toBeUndefined();
    expect(server(log, 'alpha')).toMatchObject({ state: 'down', reason: 'gone' });
  });

  it('serves every server the log names when nothing is configured (a plain proxy)', () => {
    const log = given()
      .upstream('upstream', 'up')
      .listed('upstream', [tool('send')]);
    expect(log.inventory().servers).toMatchObject([
      { server: 'upstream', configured: false, tools: [{ name: 'upstream__send' }] },
    ]);
  });

  it('leaves out listed definitions without a string name, and a repeated name’s later copy', () => {
    const log = given()
      .upstream('fs', 'up')
      .listed('fs', [tool('read', 'first'), { description: 'nameless' }, 7, tool('read', 'again')]);
    expect(log.inventory().tools.map((entry) => entry.definition.description)).toEqual(['first']);
  });

  it('returns the same state object for events that do not concern it', () => {
    const log = given().configured(FS);
    const before = log.state();
    log.tracker.beginCapture('run-1');
    const handle = log.tracker.requestStarted('run-1');
    log.tracker.requestFinished(handle, { status: 200 });
    log.tracker.note('outbox.enqueued', { key: 'k1', tool: 'append' });
    const later = log.events().filter((event) => event.seq > 1);
    expect(later.map((event) => event.type)).toEqual([
      'capture.begun',
      'request.started',
      'request.finished',
      'outbox.enqueued',
    ]);
    const folded = later.reduce(foldInventory, before);
    expect(folded).toBe(before);
  });

  it('never changes a state it returned', () => {
    const log = given().configured(FS).upstream('fs', 'up');
    const state = log.state();
    const snapshot = inventoryOf(state);
    log.listed('fs', [tool('read')], { config: 'cfg-fs-1' }).context({ any: 1 }, 'run-1');
    log.upstream('fs', 'down', { stderr: 'bye' });
    log.events().slice(2).reduce(foldInventory, state);
    expect(inventoryOf(state)).toEqual(snapshot);
  });

  it('ignores an upstream state it does not know', () => {
    const log = given().upstream('fs', 'up');
    const before = log.state();
    log.upstream('fs', 'hibernating');
    expect(foldInventory(before, log.events().at(-1)!)).toBe(before);
  });
});

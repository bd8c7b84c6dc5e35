// A proxy that starts while its upstream is down. Regressions: such a proxy answered
// `initialize` with its own name and no capabilities of the upstream, `tools/list` with -32002,
// and refused every write (the bufferable rule had no tool definition to look at), because the
// last good catalog lived only in the memory of the process before. It is now kept in the
// outbox file.
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import type { ToolflightEvent } from '../../src/index.js';
import { advance } from '../../src/testing/advance.js';
import { openOutbox } from '../../src/mcp/index.js';
import { keptRowOf } from '../../src/mcp/proxy/outbox/keptCatalog.js';
import { nextNotice, startProxy, stdioUpstream, upstreamIs } from '../proxy/support.js';
import {
  call,
  eventsSeen,
  FAST,
  ofType,
  onCleanup,
  proxyWithOutbox,
  tempDir,
  writeUpstream,
} from './support.js';
import type { WriteUpstream } from '../fixtures/outbox/writeUpstream.js';

/** Everything a test proxy logged. */
const logged = () => {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: string) => void warnings.push(message) } };
};

/** A proxy with the outbox at `path` in front of `upstream`, on virtual time. */
async function coldProxy(upstream: WriteUpstream, path: string, logger = logged().logger) {
  const clock = new VirtualTimeScheduler();
  const harness = await startProxy({
    upstream: { url: upstream.url },
    scheduler: clock,
    random: () => 0.5,
    backoff: FAST,
    logger,
    outbox: { path, backoff: FAST },
  });
  return { ...harness, clock };
}

const isListed = (event: ToolflightEvent) => event.type === 'catalog.listed';

/** Run proxy A against the live upstream until it listed, then close it and stop the upstream. */
async function listedThenDown(upstream: WriteUpstream, path: string) {
  const first = await proxyWithOutbox(upstream, { path });
  const seen = {
    server: first.agent.getServerVersion(),
    capabilities: first.agent.getServerCapabilities(),
    tools: (await first.agent.listTools()).tools,
    fingerprint: (first.events().find(isListed)?.data as { fingerprint?: string }).fingerprint,
  };
  await first.proxy.close();
  await upstream.stop();
  return seen;
}

const keptOf = (event: ToolflightEvent | undefined) =>
  (event?.data as { kept?: boolean } | undefined)?.kept;

describe('a proxy that starts while the upstream is down', { timeout: 60_000 }, () => {
  it('an agent that started while the upstream was down could not initialize: it now gets the kept server info, tools and a queued write, delivered once the upstream is back', async () => {
    const upstream = await writeUpstream();
    const path = join(await tempDir(), 'outbox.db');
    const before = await listedThenDown(upstream, path);
    expect(before.server).toEqual({ name: 'write-fixture', version: '1.0.0' });

    const { logger, warnings } = logged();
    const h = await coldProxy(upstream, path, logger);
    const agent = await h.connect();
    expect(h.proxy.upstreamState()).toBe('down');
    expect(agent.getServerVersion()).toEqual(before.server);
    expect(agent.getServerCapabilities()).toEqual({
      ...before.capabilities,
      tools: { ...before.capabilities?.tools, listChanged: true },
    });
    expect((await agent.listTools()).tools).toEqual(before.tools);
    const kept = h.events().filter(isListed);
    expect(kept).toHaveLength(1);
    expect(keptOf(kept[0])).toBe(true);
    // The same fingerprint as the upstream's own listing: a reader can tell it is that list.
    expect(kept[0]?.data).toMatchObject({ tools: before.tools, fingerprint: before.fingerprint });

    const queued = await call(agent, 'write_a', { writeId: 'cold', idempotencyKey: 'k-cold' });
    expect(queued.structuredContent).toEqual({
      queued: true,
      tool: 'write_a',
      idempotencyKey: 'k-cold',
    });
    expect(h.proxy.outbox?.pending().map((entry) => entry.key)).toEqual(['k-cold']);

    const delivered = eventsSeen(h, ofType('outbox.delivered', 'k-cold'));
    const fresh = eventsSeen(h, (event) => isListed(event) && keptOf(event) !== true);
    await upstream.start();
    const up = nextNotice(h.proxy, upstreamIs('up'));
    // To the next retry, not beyond: a flush would run out the new attempt's connect deadline.
    advance(h.clock, FAST.maxMs);
    await up;
    await delivered;
    expect(upstream.effects.get('cold')).toBe(1);
    // The upstream's own list replaces the kept one, and the log says so even though it is equal.
    expect((await fresh)[0]?.data).toMatchObject({ tools: before.tools });
    expect(h.proxy.outbox?.counts()).toEqual({ pending: 0, dead: 0 });
    expect(warnings.filter((w) => /kept/.test(w))).toEqual([]);
  });

  it('checks the arguments of a write against the kept definition, refusing what does not fit with -32602', async () => {
    const upstream = await writeUpstream();
    const path = join(await tempDir(), 'outbox.db');
    await listedThenDown(upstream, path);
    const h = await coldProxy(upstream, path);
    const agent = await h.connect();

    const error = await call(agent, 'write_a', { writeId: 42 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toMatch(
      /Invalid params: the arguments of write_a do not fit its inputSchema \(arguments\/writeId must be string\)/,
    );
    expect(h.proxy.outbox?.pending()).toEqual([]);
    expect(h.events().filter(ofType('outbox.enqueued'))).toEqual([]);
    const result = h.events().findLast((event) => event.type === 'toolCall.result');
    expect(result?.data).toMatchObject({ outcome: 'failed', isError: true });

    // The same tool with fitting arguments is still queued.
    const queued = await call(agent, 'write_a', { writeId: 'fine' });
    expect(queued.structuredContent).toMatchObject({ queued: true, tool: 'write_a' });
    expect(h.proxy.outbox?.counts()).toEqual({ pending: 1, dead: 0 });
  });

  it('ignores a damaged or mismatched kept catalog row with a warning, and serves as before', async () => {
    const upstream = await writeUpstream();
    const path = join(await tempDir(), 'outbox.db');
    await listedThenDown(upstream, path);
    const db = new Database(path);
    db.prepare("UPDATE kept_catalog SET json = substr(json, 2) WHERE part = 'tools'").run();
    db.prepare("UPDATE kept_catalog SET server = 'elsewhere:1' WHERE part = 'initialize'").run();
    db.close();

    const { logger, warnings } = logged();
    const h = await coldProxy(upstream, path, logger);
    const agent = await h.connect();
    expect(warnings).toEqual([
      `outbox ${path}: the kept initialize part was ignored: it was kept for the upstream elsewhere:1, and this proxy's upstream is ${new URL(upstream.url).host}; the proxy serves the upstream's own once it answers`,
      `outbox ${path}: the kept tools part was ignored: it is damaged: its text does not match its digest; the proxy serves the upstream's own once it answers`,
    ]);
    expect(agent.getServerVersion()).toEqual({ name: 'toolflight-proxy', version: '0.1.0' });
    await expect(agent.listTools()).rejects.toMatchObject({ code: -32002 });
    expect(h.events().filter(isListed)).toEqual([]);

    // The upstream's own catalog is kept in their place once it answers.
    const fresh = eventsSeen(h, isListed);
    await upstream.start();
    // To the next retry, not beyond: a flush would run out the new attempt's connect deadline.
    advance(h.clock, FAST.maxMs);
    await fresh;
    await h.proxy.close();
    const outbox = openOutbox(path);
    onCleanup(() => Promise.resolve(outbox.close()));
    expect(outbox.keptCatalog().map((row) => [row.part, row.server])).toEqual([
      ['initialize', new URL(upstream.url).host],
      ['tools', new URL(upstream.url).host],
    ]);
  });

  it('queues a call unchecked when its inputSchema does not compile, and says so once', async () => {
    const upstream = await writeUpstream();
    await upstream.stop();
    const path = join(await tempDir(), 'outbox.db');
    const odd: Tool = {
      name: 'odd_write',
      inputSchema: { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } },
      annotations: { idempotentHint: true },
    };
    const seed = openOutbox(path);
    const made = keptRowOf('tools', JSON.stringify([odd]), new URL(upstream.url).host, 0);
    if (!('row' in made)) throw new Error(made.problem);
    seed.keepCatalog(made.row);
    seed.close();

    const { logger, warnings } = logged();
    const h = await coldProxy(upstream, path, logger);
    const agent = await h.connect();
    for (const a of ['x', 'y']) {
      const queued = await call(agent, 'odd_write', { a });
      expect(queued.structuredContent).toMatchObject({ queued: true, tool: 'odd_write' });
    }
    expect(warnings.filter((w) => w.includes('odd_write'))).toEqual([
      "the inputSchema of odd_write does not compile (can't resolve reference #/definitions/missing from id #): its calls are queued unchecked",
    ]);
  });

  it("Seen: with a stdio upstream nothing was kept for a cold start once agents' lists no longer fed the catalog: the proxy's own child starts with the first agent session", async () => {
    const path = join(await tempDir(), 'outbox.db');
    const h = await startProxy({ upstream: stdioUpstream(), outbox: { path, backoff: FAST } });
    const listed = eventsSeen(h, isListed);
    const agent = await h.connect();
    await agent.listTools();
    const [event] = await listed;
    expect(keptOf(event)).toBeUndefined();
    expect(h.proxy.visibleTools().map((tool) => tool.name)).toContain('echo');
    await h.proxy.close();
    const outbox = openOutbox(path);
    onCleanup(() => Promise.resolve(outbox.close()));
    expect(
      outbox
        .keptCatalog()
        .map((row) => row.part)
        .sort(),
    ).toEqual(['initialize', 'tools']);
  });
});

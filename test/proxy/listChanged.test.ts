import { replay } from '../../src/index.js';
import { describe, expect, it } from 'vitest';

import type { Tool } from '@modelcontextprotocol/sdk/types.js';

import { httpUpstream, nextNotice, startProxy, type ProxyHarness } from './support.js';

/** Counts an agent's list_changed notifications; `next` resolves on the following one. */
function listChangedCounter() {
  let count = 0;
  const waiting: (() => void)[] = [];
  return {
    onListChanged: () => {
      count += 1;
      for (const resolve of waiting.splice(0)) resolve();
    },
    get count() {
      return count;
    },
    next: () => new Promise<void>((resolve) => waiting.push(resolve)),
  };
}

/** Resolves once the proxy holds `n` agent streams (checked after each turn of the loop). */
async function streamsOpen<C>(h: ProxyHarness<C>, n: number): Promise<void> {
  for (let turn = 0; h.proxy.openStreams() !== n; turn++) {
    if (turn > 100_000) throw new Error(`expected ${n} open streams`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const names = (tools: readonly Tool[]) => tools.map((tool) => tool.name);
type Role = 'reader' | 'writer';
const byRole = (tools: readonly Tool[], role: Role) =>
  role === 'writer'
    ? tools
    : tools.filter((tool) => !['send_mail', 'delete_file'].includes(tool.name));

describe('proxy: tools/list_changed, derived from the visible names', () => {
  it('notifies when setContext changes the visible names, and not when it does not', async () => {
    const upstream = await httpUpstream(['echo', 'send_mail', 'delete_file']);
    const h = await startProxy<Role>({
      upstream: { url: upstream.url },
      narrow: byRole,
      context: 'reader',
    });
    const counter = listChangedCounter();
    const agent = await h.connect(counter);
    expect(names((await agent.listTools()).tools)).toEqual(['echo']);
    await streamsOpen(h, 1);
    const emitted: (readonly string[])[] = [];
    h.proxy.listChanged$.subscribe((visible) => emitted.push(visible));

    h.proxy.setContext('reader');
    expect(emitted).toEqual([]);
    let next = counter.next();
    h.proxy.setContext('writer');
    await next;
    expect(counter.count).toBe(1);
    expect(names((await agent.listTools()).tools)).toEqual(['echo', 'send_mail', 'delete_file']);

    h.proxy.setContext('writer');
    expect(emitted).toHaveLength(1);
    next = counter.next();
    h.proxy.setContext('reader');
    await next;
    expect(counter.count).toBe(2);
    expect(emitted).toEqual([['delete_file', 'echo', 'send_mail'], ['echo']]);
    expect(h.notices.filter((n) => n.type === 'context.changed')).toHaveLength(4);
    // The notices are in the log too, so a recording has them, and the log stays valid.
    const logged = h.events();
    expect(logged.filter((e) => e.type === 'context.changed')).toHaveLength(4);
    expect(logged.some((e) => e.type === 'catalog.listed')).toBe(true);
    expect(replay(logged).violations).toEqual([]);
  });

  it('notifies after a token rotation and refreshTools when the upstream now lists other tools', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'scope-a';
    let token = 'scope-a';
    const h = await startProxy({ upstream: { url: upstream.url, getToken: () => token } });
    const counter = listChangedCounter();
    const agent = await h.connect(counter);
    expect(names((await agent.listTools()).tools)).toEqual(['echo']);
    await streamsOpen(h, 1);

    const emitted: (readonly string[])[] = [];
    h.proxy.listChanged$.subscribe((visible) => emitted.push(visible));
    await expect(h.proxy.refreshTools()).resolves.toHaveLength(1);
    expect(emitted).toEqual([]);
    token = upstream.token = 'scope-b';
    await upstream.setTools(['echo', 'send_mail'], { quiet: true });
    const next = counter.next();
    expect(names(await h.proxy.refreshTools())).toEqual(['echo', 'send_mail']);
    await next;
    expect(emitted).toEqual([['echo', 'send_mail']]);
    expect(counter.count).toBe(1);
  });

  it('relays an upstream list_changed only when the visible names changed', async () => {
    const upstream = await httpUpstream(['echo', 'fail']);
    const h = await startProxy({ upstream: { url: upstream.url } });
    const counter = listChangedCounter();
    const agent = await h.connect(counter);
    await agent.listTools();
    await streamsOpen(h, 1);

    const emitted: (readonly string[])[] = [];
    h.proxy.listChanged$.subscribe((visible) => emitted.push(visible));
    // Same names, new descriptions: a new catalog, no change for the agent.
    let listed = nextNotice(h.proxy, (n) => n.type === 'catalog.listed');
    await upstream.setTools(['echo', 'fail'], { description: 'redescribed' });
    await listed;
    expect(emitted).toEqual([]);

    listed = nextNotice(h.proxy, (n) => n.type === 'catalog.listed');
    const next = counter.next();
    await upstream.setTools(['echo']);
    await Promise.all([listed, next]);
    expect(emitted).toEqual([['echo']]);
    expect(counter.count).toBe(1);
    expect(names(h.proxy.visibleTools())).toEqual(['echo']);
  });
});

// `upstream: { command, shared: true }`: a stdio server known to be stateless serves every
// agent session from one child, the proxy's own. What a child per agent gave is lost (see the
// option's TSDoc); calls, tracking and cancellation stay each session's own.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createProxy, type ProxyNotice } from '../../src/mcp/index.js';
import { nextNotice, rawSession, startProxy, stdioUpstream, type ProxyHarness } from './support.js';

/** The first text of a tool's result. */
async function text(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = CallToolResultSchema.parse(await client.callTool({ name, arguments: args }));
  const first = result.content[0];
  return first?.type === 'text' ? first.text : undefined;
}

const stderrIs =
  (line: string) =>
  (notice: ProxyNotice): boolean =>
    notice.type === 'upstream.changed' && notice.data.stderr === line;

/** Resolves once the child wrote `line` to stderr (it may have already). */
function heard(h: ProxyHarness<undefined>, line: string): Promise<unknown> {
  // Both in this turn: a line that comes between the look and the wait is not missed.
  if (h.notices.some(stderrIs(line))) return Promise.resolve();
  return nextNotice(h.proxy, stderrIs(line));
}

/** The pids of every child that said it started. */
const started = (h: ProxyHarness<undefined>): string[] =>
  h.notices.flatMap((notice) => {
    const match =
      notice.type === 'upstream.changed'
        ? /^fixture: started pid (\d+)$/.exec(notice.data.stderr ?? '')
        : null;
    return match ? [match[1]!] : [];
  });

/** A raw `tools/call` in a session (headers from `rawSession`), answered as JSON. */
const callIn = (
  url: string,
  headers: Record<string, string>,
  id: number,
  name: string,
  args = {},
) =>
  fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args },
    }),
  });

// The fixture child compiles TypeScript as it starts: allow for a loaded machine.
describe(
  'proxy: a stdio upstream shared by every agent session (upstream.shared)',
  { timeout: 30_000 },
  () => {
    it('starts one child for every agent session, and every agent’s calls work over it', async () => {
      const h = await startProxy({ upstream: { ...stdioUpstream(), shared: true } });
      const agents = await Promise.all([1, 2, 3].map(() => h.connect()));
      expect(h.proxy.sessions()).toBe(3);
      for (const [n, agent] of agents.entries()) {
        expect(await text(agent, 'echo', { text: `from ${n}` })).toBe(`from ${n}`);
      }
      const pids = new Set(await Promise.all(agents.map((agent) => text(agent, 'pid'))));
      expect(pids.size).toBe(1);
      const [pid] = [...pids];
      await heard(h, `fixture: started pid ${pid}`);
      expect(started(h)).toEqual([pid]);
      // One process: its run counts are every agent's.
      expect(JSON.parse((await text(agents[0]!, 'count'))!)).toEqual({ echo: 3, pid: 3, count: 1 });
      // Tracked as every proxied call is, each under its agent's capture.
      const results = h.events().filter((event) => event.type === 'toolCall.result');
      expect(results).toHaveLength(7);
      expect(results.every((event) => event.capture === 'run-1')).toBe(true);
    });

    it('a session’s DELETE cancels its own call on the child, and leaves the child and the other sessions alone', async () => {
      const h = await startProxy({ upstream: { ...stdioUpstream(), shared: true } });
      const a = await rawSession(h.proxy as never);
      const b = await rawSession(h.proxy as never);
      // Both agents' calls have the same JSON-RPC id: only the session tells them apart.
      const aStarted = heard(h, 'fixture: hang a started');
      const aCall = callIn(h.proxy.url, a, 7, 'hang', { tag: 'a' });
      await aStarted;
      const bStarted = heard(h, 'fixture: hang b started');
      const bCall = callIn(h.proxy.url, b, 7, 'hang', { tag: 'b' });
      await bStarted;

      const aCancelled = heard(h, 'fixture: hang a cancelled');
      const ended = await fetch(h.proxy.url, { method: 'DELETE', headers: a });
      expect(ended.status).toBe(200);
      await aCancelled;
      expect(await (await aCall).json()).toMatchObject({ id: 7, error: { code: -32800 } });
      expect(h.proxy.sessions()).toBe(1);

      // The child and the other session are as they were: b's call is still running there.
      // The pid's answer, and every child that started (its line came before any hang's).
      const answer = (await (await callIn(h.proxy.url, b, 8, 'pid')).json()) as {
        result: { content: [{ text: string }] };
      };
      expect(started(h)).toEqual([answer.result.content[0].text]);
      expect(h.notices.some(stderrIs('fixture: hang b cancelled'))).toBe(false);
      const bCancelled = heard(h, 'fixture: hang b cancelled');
      await fetch(h.proxy.url, {
        method: 'POST',
        headers: b,
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 7, reason: 'b is done waiting' },
        }),
      });
      await bCancelled;
      expect(await (await bCall).json()).toMatchObject({ id: 7, error: { code: -32800 } });
      const outcomes = h
        .events()
        .flatMap((event) => (event.type === 'toolCall.result' ? [event.data.outcome] : []));
      expect(outcomes).toEqual(['cancelled', 'completed', 'cancelled']);
      expect(h.proxy.upstreamState()).toBe('up');
    });

    it('a child that exits ends no session: the next call starts another for everyone', async () => {
      const h = await startProxy({ upstream: { ...stdioUpstream(), shared: true } });
      const a = await h.connect();
      const b = await h.connect();
      const before = await text(a, 'pid');
      const failure = await a
        .callTool({ name: 'die', arguments: {} })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: -32002, data: { outcome: 'unknown' } });
      expect(h.proxy.sessions()).toBe(2);
      const after = await text(b, 'pid');
      expect(after).not.toBe(before);
      expect(await text(a, 'pid')).toBe(after);
    });

    it('is refused for an HTTP upstream, and when it is not a boolean, saying why', async () => {
      const tracker = createTracker();
      await expect(
        createProxy({
          tracker,
          upstream: { url: 'http://127.0.0.1:1/mcp', shared: true },
        }),
      ).rejects.toMatchObject({
        code: 'invalid_option',
        message: expect.stringMatching(/^upstream\.shared is for a stdio upstream/) as unknown,
      });
      await expect(
        createProxy({ tracker, upstream: { ...stdioUpstream(), shared: 'yes' as never } }),
      ).rejects.toMatchObject({
        code: 'invalid_option',
        message: 'upstream.shared must be true or false, got "yes"',
      });
    });
  },
);

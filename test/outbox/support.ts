// Test support for the outbox: temp dirs, a proxy with an outbox in front of the write
// fixture, SDK agents, and waits on the tracker's log (never on time).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

import type { ToolflightEvent, Tracker } from '../../src/index.js';
import type { ProxyOptions } from '../../src/mcp/index.js';
import { startWriteUpstream, type WriteUpstream } from '../fixtures/outbox/writeUpstream.js';
import { onCleanup, startProxy, type ProxyHarness } from '../proxy/support.js';

export { onCleanup };

/** A fresh temp directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'toolflight-outbox-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The write fixture, stopped after the test. */
export async function writeUpstream(): Promise<WriteUpstream> {
  const upstream = await startWriteUpstream();
  onCleanup(() => upstream.stop());
  return upstream;
}

/** Fast reconnection, so that recovery is quick on a loaded machine. */
export const FAST = { baseMs: 20, maxMs: 200 } as const;

/** A proxy with an outbox at `path` in front of `upstream`, and an agent that listed its tools. */
export async function proxyWithOutbox(
  upstream: WriteUpstream,
  outbox: NonNullable<ProxyOptions['outbox']>,
  extra: Partial<Omit<ProxyOptions, 'tracker' | 'outbox'>> = {},
): Promise<ProxyHarness<undefined> & { agent: Client }> {
  const harness = await startProxy({
    upstream: { url: upstream.url },
    backoff: FAST,
    ...extra,
    outbox: { backoff: FAST, ...outbox },
  });
  const agent = await harness.connect();
  await agent.listTools();
  return { ...harness, agent };
}

/** Resolves when the tracker's log holds `count` events matching `match`. */
export function eventsSeen(
  harness: { readonly tracker: Tracker; readonly events: () => ToolflightEvent[] },
  match: (event: ToolflightEvent) => boolean,
  count = 1,
): Promise<ToolflightEvent[]> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const seen = harness.events().filter(match);
      if (seen.length < count) return false;
      resolve(seen);
      return true;
    };
    if (check()) return;
    const stop = harness.tracker.store.subscribe(() => {
      if (check()) stop();
    });
  });
}

/** Matches events of `type` (and `key`, when given). */
export const ofType =
  (type: string, key?: string) =>
  (event: ToolflightEvent): boolean =>
    event.type === type &&
    (key === undefined || (event.data as { key?: unknown } | undefined)?.key === key);

/** Call a tool as the agent and return its result (the SDK rejects JSON-RPC errors). */
export const call = (agent: Client, name: string, args: Record<string, unknown>) =>
  agent.callTool({ name, arguments: args }) as Promise<CallToolResult>;

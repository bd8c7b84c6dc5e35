// What the gateway tests share: real registry servers as stdio upstreams, fixtures, and a
// gateway with its log, closed after the test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { expect, onTestFinished } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  type ToolflightEvent,
  type Tracker,
} from '../../src/index.js';
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type ProxyNotice,
  type StdioUpstream,
} from '../../src/mcp/index.js';
import { agentTransport } from '../proxy/support.js';
import { EVERYTHING_BIN } from '../support/serverEverything.js';

const resolve = createRequire(import.meta.url).resolve;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `@modelcontextprotocol/server-everything` over stdio, as it ships. */
export const everything = (): StdioUpstream => ({
  command: process.execPath,
  args: [EVERYTHING_BIN, 'stdio'],
});

/** `@modelcontextprotocol/server-memory` over stdio, its graph in a file of a temp folder. */
export function memory(): StdioUpstream {
  const dir = tempDir('memory');
  return {
    command: process.execPath,
    args: [resolve('@modelcontextprotocol/server-memory/dist/index.js')],
    env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
  };
}

/** `@modelcontextprotocol/server-filesystem` over stdio, allowed one temp folder (returned). */
export function filesystem(): { upstream: StdioUpstream; dir: string } {
  const dir = tempDir('files');
  writeFileSync(join(dir, 'hello.txt'), 'hello from the gateway test\n');
  return {
    upstream: {
      command: process.execPath,
      args: [resolve('@modelcontextprotocol/server-filesystem/dist/index.js'), dir],
    },
    dir,
  };
}

/** The named-tools fixture: `label` answers every tool in `names` with `label:name`. */
export const named = (label: string, ...names: string[]): StdioUpstream => ({
  command: process.execPath,
  args: ['--import', 'tsx', join(ROOT, 'test/fixtures/gateway/namedServer.ts'), label, ...names],
  cwd: ROOT,
});

/** The proxy tests' stdio fixture (echo, fail, hang, die, pid…). */
export const fixture = (...extra: string[]): StdioUpstream => ({
  command: process.execPath,
  args: ['--import', 'tsx', join(ROOT, 'test/fixtures/proxy/stdioServer.ts'), ...extra],
  cwd: ROOT,
});

/** A temp folder, removed after the test. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `toolflight-gateway-${label}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A gateway, its tracker and its log. */
export interface GatewayHarness<C> {
  readonly gateway: Gateway<C>;
  readonly tracker: Tracker;
  readonly events: () => ToolflightEvent[];
}

/** Start a gateway over `servers` with capture `run-1` begun; closed after the test. */
export async function startGateway<C = undefined>(
  options: Omit<GatewayOptions<C>, 'tracker'>,
): Promise<GatewayHarness<C>> {
  const store = createMemoryStore();
  const tracker = createTracker({ store });
  tracker.beginCapture('run-1');
  const gateway = await createGateway<C>({ tracker, ...options });
  onTestFinished(() => gateway.close());
  return { gateway, tracker, events: () => [...store.read()] };
}

/** An SDK client connected to the gateway as an agent of `capture`; closed after the test. */
export async function connectAgent(
  gateway: Pick<Gateway<never>, 'url' | 'credential'>,
  capture = 'run-1',
  name = 'agent',
): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(agentTransport(gateway.url, gateway.credential({ capture })));
  onTestFinished(() => client.close());
  return client;
}

/** The first text of a tool's result, and whether it is an error. */
export async function callText(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ text: string | undefined; isError: boolean }> {
  const result = CallToolResultSchema.parse(await client.callTool({ name, arguments: args }));
  const first = result.content[0];
  return {
    text: first?.type === 'text' ? first.text : undefined,
    isError: result.isError === true,
  };
}

/** Counts the lines a server wrote on stderr that match. */
export function stderrOf(gateway: {
  notices$: { subscribe: (next: (n: ProxyNotice) => void) => unknown };
}) {
  const notices: ProxyNotice[] = [];
  gateway.notices$.subscribe((notice) => notices.push(notice));
  return (server: string, pattern: RegExp): number =>
    notices.filter(
      (n) =>
        n.type === 'upstream.changed' &&
        n.data.server === server &&
        pattern.test(n.data.stderr ?? ''),
    ).length;
}

/** How long a test waits for real children to start and list: a loaded 2-core CI is slow. */
export const STARTED_MS = 30_000;

/**
 * Resolves once every server of `gateway` has a catalog in the log (`up`, no notice). A server
 * starts on first use; one slower than the list wait (`listWaitMs`, 5 s) is left out of that
 * `tools/list` by design, as the README says, and a loaded machine starts a child that slowly.
 */
export async function everyServerListed(gateway: Pick<Gateway<never>, 'inventory'>): Promise<void> {
  await expect
    .poll(() => gateway.inventory().servers.filter((s) => (s.notice ?? s.state) !== 'up'), {
      timeout: STARTED_MS,
    })
    .toEqual([]);
}

/**
 * The names `agent` is shown once every server has listed: its first `tools/list` starts them
 * (a slow one is left out of it), the next comes after all of them have a catalog.
 */
export async function toolsOnceListed(
  gateway: Pick<Gateway<never>, 'inventory'>,
  agent: Client,
): Promise<string[]> {
  await agent.listTools();
  await everyServerListed(gateway);
  return (await agent.listTools()).tools.map((tool) => tool.name).sort();
}

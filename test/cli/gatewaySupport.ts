// What the `gateway` and `inventory` command tests share: an mcpServers file of real stdio
// servers in a temp folder, and `toolflight gateway` run in-process until the test stops it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { onTestFinished } from 'vitest';

import { runGateway } from '../../src/cli/gateway.js';
import type { StdioUpstream } from '../../src/mcp/index.js';
import { memory, named, tempDir } from '../gateway/support.js';
import { agentTransport } from '../proxy/support.js';

/** The variable the memory server's file is named by in the config (`${…}`, expanded at start). */
export const MEMORY_VAR = 'TOOLFLIGHT_TEST_MEMORY_FILE';

/** An entry as an mcpServers file writes it. */
const entryOf = (upstream: StdioUpstream): Record<string, unknown> => ({
  command: upstream.command,
  ...(upstream.args === undefined ? {} : { args: upstream.args }),
  ...(upstream.env === undefined ? {} : { env: upstream.env }),
  ...(upstream.cwd === undefined ? {} : { cwd: upstream.cwd }),
});

/** A config of two stdio servers, and the environment its `${VAR}` needs. */
export interface TwoServers {
  readonly dir: string;
  /** `alpha` (the named fixture: greet, shout) and `memory` (server-memory). */
  readonly entries: Record<string, Record<string, unknown>>;
  readonly env: NodeJS.ProcessEnv;
}

/** Two real stdio servers; the memory server's file comes from `${TOOLFLIGHT_TEST_MEMORY_FILE}`. */
export function twoServers(): TwoServers {
  const dir = tempDir('cli');
  const store = memory();
  return {
    dir,
    entries: {
      alpha: entryOf(named('alpha', 'greet', 'shout')),
      memory: entryOf({ ...store, env: { MEMORY_FILE_PATH: `\${${MEMORY_VAR}}` } }),
    },
    env: { ...process.env, [MEMORY_VAR]: store.env!.MEMORY_FILE_PATH! },
  };
}

/** Write `{ mcpServers: entries }` (or `text` as is) to `name` in `dir`; its path. */
export function writeConfig(
  dir: string,
  name: string,
  content: Record<string, unknown> | string,
): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    typeof content === 'string' ? content : JSON.stringify({ mcpServers: content }, null, 2),
  );
  return path;
}

/** A `toolflight gateway` run in-process. */
export interface GatewayCli {
  readonly out: string[];
  readonly err: string[];
  readonly url: string;
  readonly credential: string;
  /** Stop it as Ctrl-C would; resolves with its exit code. */
  readonly stop: () => Promise<number>;
  /** An SDK client connected with the printed URL and credential; closed after the test. */
  readonly connect: () => Promise<Client>;
  /** Resolves once a stderr line matches (now or later). */
  readonly errLine: (match: RegExp) => Promise<string>;
}

/**
 * Start `toolflight gateway ARGS` in-process and wait until it printed its credential, or ended
 * (a bad config): then `exit` holds its code. Stopped after the test.
 */
export async function startGatewayCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayCli & { readonly exit: Promise<number> }> {
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  let stop!: () => void;
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const io = {
    out: (line: string) => {
      out.push(line);
      if (line.startsWith('TOOLFLIGHT_GATEWAY_TOKEN=')) ready();
    },
    err: (line: string) => {
      err.push(line);
      for (const waiter of waiters.filter((w) => w.match.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    },
  };
  const exit = runGateway(args, io, new Promise<void>((resolve) => (stop = resolve)), env);
  const stopped = () => (stop(), exit);
  onTestFinished(async () => {
    await stopped();
  });
  await Promise.race([listening, exit]);
  const url = out[0]?.replace('toolflight gateway listening on ', '') ?? '';
  const credential =
    out.find((line) => line.startsWith('TOOLFLIGHT_GATEWAY_TOKEN='))?.split('=')[1] ?? '';
  return {
    out,
    err,
    url,
    credential,
    exit,
    stop: stopped,
    connect: async () => {
      const client = new Client({ name: 'cli-agent', version: '1' });
      await client.connect(agentTransport(url, credential));
      onTestFinished(() => client.close());
      return client;
    },
    errLine: (match) => {
      const seen = err.find((line) => match.test(line));
      return seen !== undefined
        ? Promise.resolve(seen)
        : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/**
 * The agent's tool names once every server in `servers` shows some: a server slower to start
 * than the gateway's list wait is left out of a list, and the agent is told (list_changed) when
 * its tools arrive, so each miss waits for that notification, not for a time.
 */
export async function toolsOf(agent: Client, servers: readonly string[]): Promise<string[]> {
  let changed!: () => void;
  agent.setNotificationHandler(ToolListChangedNotificationSchema, () => changed());
  for (;;) {
    const next = new Promise<void>((resolve) => (changed = resolve));
    const names = (await agent.listTools()).tools.map((tool) => tool.name);
    if (servers.every((server) => names.some((name) => name.startsWith(`${server}__`)))) {
      return names;
    }
    await next;
  }
}

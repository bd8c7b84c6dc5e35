// What the `gateway` and `inventory` command tests share: an mcpServers file of real stdio
// servers in a temp folder, and `toolflight gateway` run in-process until the test stops it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { onTestFinished } from 'vitest';

import { runGateway } from '../../src/cli/gateway.js';
import type { StdioUpstream } from '../../src/mcp/index.js';
import { memory, named, tempDir } from '../gateway/support.js';
import { startEndpointCli, type EndpointCli } from '../support/endpointCli.js';

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
/** `toolflight gateway` running in-process (see `startEndpointCli`). */
export type GatewayCli = EndpointCli;

/**
 * Start `toolflight gateway ARGS` in-process and wait until it printed its credential, or ended
 * (a bad config): then `exit` holds its code. Stopped after the test.
 */
export function startGatewayCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayCli> {
  return startEndpointCli('gateway', runGateway, args, env, (step) =>
    onTestFinished(async () => {
      await step();
    }),
  );
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

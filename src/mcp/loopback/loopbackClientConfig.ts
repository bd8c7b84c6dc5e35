import { LoopbackError } from './LoopbackError.js';
import type { LoopbackCredentialOptions, LoopbackServer } from './LoopbackServer.js';

/**
 * Options of `loopbackClientConfig`: whose credential (`capture`, one per agent process, and
 * `owner`: whether it sees owner-only tools), and how the agent's config names things.
 */
export interface LoopbackClientOptions extends LoopbackCredentialOptions {
  /** The server's name in the agent's config. Default `toolflight`. */
  readonly name?: string;
  /** Prefix of the environment variable names. Default `TOOLFLIGHT_MCP`. */
  readonly envPrefix?: string;
}

/** The `mcpServers` entry of a CLI that takes JSON server configs (`type: "http"`). */
export interface HttpServerEntry {
  readonly type: 'http';
  readonly url: string;
  /** Header values are `${ENV}` placeholders the CLI expands from its environment. */
  readonly headers: Readonly<Record<string, string>>;
}

/** How to point an agent CLI at a loopback server: config without secrets, secrets in env. */
export interface LoopbackClientConfig {
  /** `{ [name]: entry }`, for `{"mcpServers": …}` files and `--mcp-config` flags. */
  readonly mcpServers: Readonly<Record<string, HttpServerEntry>>;
  /** The variables to set in the agent process's environment: the credential. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * `-c mcp_servers.<name>.…` overrides for CLIs configured that way (Codex): the URL, and the
   * name of the variable holding the credential. Never a secret.
   */
  readonly args: readonly string[];
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ENV_PREFIX = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Build what an agent CLI needs to reach `server` as one capture: a JSON `mcpServers` entry and
 * `-c` arguments that name an environment variable, and its value, a credential that admits
 * only that capture and role (`server.credential`). The credential appears only in `env`, never
 * in the entry or the arguments (argv is visible to every local user). No capture header is
 * sent: the credential names the capture, so there is nothing that could disagree with it.
 *
 * @example
 * const config = loopbackClientConfig(server, { capture: 'run-1', owner: false });
 * spawn('agent', ['--mcp-config', JSON.stringify({ mcpServers: config.mcpServers })], {
 *   env: { ...process.env, ...config.env },
 * });
 */
export function loopbackClientConfig(
  server: LoopbackServer,
  options: LoopbackClientOptions,
): LoopbackClientConfig {
  const name = options.name ?? 'toolflight';
  const prefix = options.envPrefix ?? 'TOOLFLIGHT_MCP';
  if (!NAME.test(name)) {
    throw new LoopbackError(
      'invalid_option',
      `name must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(name)}`,
    );
  }
  if (!ENV_PREFIX.test(prefix)) {
    throw new LoopbackError(
      'invalid_option',
      `envPrefix must look like TOOLFLIGHT_MCP, got ${JSON.stringify(prefix)}`,
    );
  }
  const credential = server.credential({ capture: options.capture, owner: options.owner });
  const tokenVar = `${prefix}_TOKEN`;
  const entry: HttpServerEntry = {
    type: 'http',
    url: server.url,
    headers: { Authorization: `Bearer \${${tokenVar}}` },
  };
  const set = (key: string, value: string): string[] => [
    '-c',
    `mcp_servers.${name}.${key}=${value}`,
  ];
  return {
    mcpServers: { [name]: entry },
    env: { [tokenVar]: credential },
    args: [
      ...set('url', JSON.stringify(server.url)),
      ...set('bearer_token_env_var', JSON.stringify(tokenVar)),
    ],
  };
}

// Turning one `mcpServers` entry into the upstream a gateway starts: its variables expanded from
// the environment handed in, its command looked up, so that what cannot start fails at once.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

import { upstreamHeaderProblem } from '../proxy/upstream/httpTransport.js';
import type { HttpUpstream, ProxyUpstream, StdioUpstream } from '../proxy/upstream/Upstream.js';
import { expandVariables } from './expandVariables.js';
import { findCommand } from './findCommand.js';
import { GatewayError } from './GatewayError.js';
import type { McpServerEntry } from './McpServerEntry.js';
import type { McpServersSource } from './mcpServersConfig.js';
import { configProblem, step } from './readServerEntry.js';

/** The PATH in an environment (any case on Windows, where names ignore it). */
function pathIn(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (process.platform !== 'win32') return Object.hasOwn(env, 'PATH') ? env.PATH : undefined;
  const key = Object.keys(env).find((name) => name.toUpperCase() === 'PATH');
  return key === undefined ? undefined : env[key];
}

/**
 * The upstream a gateway starts for `entry`: its `${VAR}` and `${VAR:-default}` placeholders
 * (Claude Code's; `${env:VAR}`, Cursor's and VS Code's, is the same as `${VAR}`) in command,
 * args, env values, cwd, url and header values, expanded from `env` (`:-`: the default when the
 * variable is unset or empty; one level: a value holding `${…}` goes in as it is), named
 * `entry.name`. Pass `process.env` from a
 * CLI; the library never reads it. A variable without a default that `env` lacks is an
 * `invalid_config` error naming the server, the field and the variable, never a value. A stdio
 * command is looked up as `spawn` will (a path relative to `cwd`, a bare name on the PATH the
 * child gets: its `env.PATH`, else `env`'s): `GatewayError('command_not_found')` when it is not
 * there, so a mistyped command fails as the gateway starts, not at the first call.
 *
 * @example
 * const upstream = resolveUpstream(config.servers[0]!, process.env, { source: '.mcp.json' });
 */
export function resolveUpstream(
  entry: McpServerEntry,
  env: Readonly<Record<string, string | undefined>>,
  options: McpServersSource = {},
): ProxyUpstream {
  const path = `mcpServers${step(entry.name)}`;
  const fail = (field: string, problem: string): never => {
    throw configProblem(options.source, `${path}${field}`, problem);
  };
  const missing: { field: string; name: string }[] = [];
  const secrets = new Set<string>();
  const expand = (field: string, text: string): string => {
    const expanded = expandVariables(text, env);
    for (const name of expanded.missing) missing.push({ field, name });
    // What it starts and where (`command`, `cwd`) is a path, no secret; the rest may be one.
    if (field !== '.command' && field !== '.cwd') {
      for (const value of expanded.substituted) secrets.add(value);
    }
    return expanded.value;
  };
  /** What came from the environment, masked wherever the upstream's text is shown. */
  const withSecrets = <U extends ProxyUpstream>(upstream: U): U =>
    secrets.size === 0 ? upstream : { ...upstream, secrets: [...secrets] };
  const expandAll = (field: string, record: Readonly<Record<string, string>> | undefined) =>
    record &&
    Object.fromEntries(
      Object.keys(record).map((key) => [key, expand(`${field}${step(key)}`, record[key]!)]),
    );
  /** The variables not set, the first in full, the others after it: all fixed in one go. */
  const checkMissing = (): void => {
    const [first, ...others] = missing;
    if (first === undefined) return;
    const also = others.map(({ field, name }) => `\${${name}} (${field.slice(1)})`).join(', ');
    fail(
      first.field,
      `\${${first.name}} is not set: set ${first.name} in the gateway's environment, or write \${${first.name}:-default}${also === '' ? '' : `; not set either: ${also}`}`,
    );
  };

  if (entry.transport === 'http') {
    const url = expand('.url', entry.url);
    const headers = expandAll('.headers', entry.headers);
    checkMissing();
    const protocol = URL.canParse(url) ? new URL(url).protocol : undefined;
    if (protocol !== 'http:' && protocol !== 'https:') {
      fail('.url', 'is not an http: or https: URL once its variables are expanded');
    }
    for (const [name, value] of Object.entries(headers ?? {})) {
      const problem = upstreamHeaderProblem(name, value);
      if (problem !== undefined) fail(`.headers${step(name)}`, `once expanded, ${problem}`);
    }
    const upstream: HttpUpstream = { name: entry.name, url };
    return withSecrets(
      headers === undefined || Object.keys(headers).length === 0
        ? upstream
        : { ...upstream, headers },
    );
  }

  const command = expand('.command', entry.command);
  const args = entry.args?.map((arg, n) => expand(`.args[${n}]`, arg));
  const childEnv = expandAll('.env', entry.env);
  const cwd = entry.cwd === undefined ? undefined : expand('.cwd', entry.cwd);
  checkMissing();
  if (command.trim() === '') fail('.command', 'is empty once its variables are expanded');
  if (cwd !== undefined) {
    const isDirectory = (() => {
      try {
        return statSync(resolve(cwd)).isDirectory();
      } catch {
        return false;
      }
    })();
    if (!isDirectory) {
      fail('.cwd', `${JSON.stringify(entry.cwd)} is not a directory: create it, or fix the path`);
    }
  }
  // The child's PATH: its own env's, else the one its default environment takes from ours.
  const found = findCommand(command, { cwd, path: pathIn(childEnv ?? {}) ?? pathIn(env) });
  if ('problem' in found) {
    throw new GatewayError(
      'command_not_found',
      `${options.source === undefined ? '' : `${options.source}: `}${path}.command: ${found.problem}`,
    );
  }
  const upstream: StdioUpstream = {
    name: entry.name,
    command,
    ...(args === undefined ? {} : { args }),
    ...(childEnv === undefined ? {} : { env: childEnv }),
    ...(cwd === undefined ? {} : { cwd }),
  };
  return withSecrets(upstream);
}

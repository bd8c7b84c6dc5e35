// The `mcpServers` JSON people already have (Claude Desktop's `claude_desktop_config.json`,
// Claude Code's `.mcp.json`, Cursor's and VS Code's `mcp.json`) as a gateway's configuration:
// read and checked as written, and fingerprinted without its secrets. `resolveUpstream` turns
// an entry into the upstream a gateway starts; `agentEntry` is the one entry an agent gets.
import { createHash } from 'node:crypto';

import type { ConfiguredServer } from '../../events/types.js';
import { safeNamePart } from '../../projections/toolNames.js';
import { GatewayError } from './GatewayError.js';
import type { McpServerEntry, McpServersConfig } from './McpServerEntry.js';
import { parseJsonText } from './parseJsonText.js';
import { configProblem, got, isRecord, readServerEntry } from './readServerEntry.js';

/** The largest config text read: a real one is a few kilobytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** The most servers one config may list. */
export const MAX_SERVERS = 100;

/** Where a config came from, for its error messages. */
export interface McpServersSource {
  /** Named first in every error message: the file's path, usually. */
  readonly source?: string;
}

/** The text of `input` (a string, or bytes as `readFileSync` gives them), or undefined. */
function textOf(input: unknown, source: string | undefined): string | undefined {
  const bytes =
    typeof input === 'string'
      ? Buffer.byteLength(input)
      : input instanceof Uint8Array
        ? input.byteLength
        : undefined;
  if (bytes === undefined) return undefined;
  if (bytes > MAX_CONFIG_BYTES) {
    throw configProblem(
      source,
      'the config',
      `is ${bytes} bytes, more than the ${MAX_CONFIG_BYTES} read: is this the mcpServers file?`,
    );
  }
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input as Uint8Array);
  } catch {
    throw configProblem(source, 'the config', 'is not UTF-8 text');
  }
}

/**
 * Read an `mcpServers` config: its JSON text or bytes (at most 1 MiB; comments and trailing
 * commas allowed, a key written twice refused, a leading BOM skipped) or an already-parsed
 * value. The top level is an object with `mcpServers` (or VS Code's `servers`: exactly one of
 * them), at most 100 entries keyed by the server's name: a stdio server (`command`, `args`,
 * `env`, `cwd`, optional `type: "stdio"`) or a Streamable HTTP one (`type` `"http"` or
 * `"streamable-http"`, or a `url` without `type`; `url`, `headers`); `type: "sse"` is refused.
 * Unknown fields (`autoApprove`, `timeout`, …) and the other transport's fields are ignored, as
 * the agents that read these files ignore them; an entry with `disabled: true` is listed under
 * `disabled` and not read further. `${VAR}`, `${env:VAR}` and `${VAR:-default}` are checked,
 * never expanded: the config keeps the text as written (`resolveUpstream` expands). Two names
 * that make the same tool-name prefix are refused. Every refusal is a
 * `GatewayError('invalid_config')` naming the source, the server and the field.
 *
 * @example
 * const config = parseMcpServers(readFileSync(path, 'utf8'), { source: path });
 * const upstreams = config.servers.map((entry) => resolveUpstream(entry, process.env));
 */
export function parseMcpServers(input: unknown, options: McpServersSource = {}): McpServersConfig {
  const { source } = options;
  const text = textOf(input, source);
  let value = input;
  if (text !== undefined) {
    const read = parseJsonText(text.startsWith('\uFEFF') ? text.slice(1) : text);
    if ('problem' in read) {
      const { line, column, message } = read.problem;
      throw new GatewayError(
        'invalid_config',
        `${source === undefined ? '' : `${source}: `}not valid JSON at line ${line}, column ${column}: ${message}`,
      );
    }
    value = read.value;
  }
  const where = source === undefined ? 'the config' : 'its top level';
  if (!isRecord(value)) {
    throw configProblem(source, where, `must be an object with "mcpServers", got ${got(value)}`);
  }
  const keys = ['mcpServers', 'servers'].filter((key) => Object.hasOwn(value, key));
  if (keys.length !== 1) {
    throw configProblem(
      source,
      where,
      keys.length === 0
        ? 'has no "mcpServers": expected { "mcpServers": { "<name>": { "command": … } } } (or VS Code\'s "servers")'
        : 'has both "mcpServers" and "servers" (VS Code\'s name for the same map): keep one',
    );
  }
  const key = keys[0]!;
  const map = value[key];
  if (!isRecord(map)) {
    throw configProblem(source, key, `must be an object keyed by server name, got ${got(map)}`);
  }
  const names = Object.keys(map);
  if (names.length > MAX_SERVERS) {
    throw configProblem(
      source,
      key,
      `lists ${names.length} servers, more than the ${MAX_SERVERS} one gateway takes: split them across gateways`,
    );
  }
  const servers: McpServerEntry[] = [];
  const disabled: string[] = [];
  const prefixes = new Map<string, string>();
  for (const name of names) {
    const entry = readServerEntry(name, map[name], { source, key });
    if (entry === 'disabled') {
      disabled.push(name);
      continue;
    }
    const safe = safeNamePart(name);
    const other = prefixes.get(safe);
    if (other !== undefined) {
      throw configProblem(
        source,
        key,
        `${JSON.stringify(other)} and ${JSON.stringify(name)} both become ${JSON.stringify(safe)} in tool names (characters outside A-Z a-z 0-9 _ . - become _): rename one`,
      );
    }
    prefixes.set(safe, name);
    servers.push(entry);
  }
  return { servers, disabled };
}

/** JSON with every object's keys sorted: the same text for the same value, however written. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable fingerprint of what `entry` starts, as written (sha256 of its canonical JSON, first
 * 16 hex digits): the same for the same fields in any key order, and unchanged by the values of
 * the variables it names, which it never sees. Its name is not part of it (the name is what the
 * server is called, not what it is). A hash, not the text: no secret written in the entry can
 * be read from it (though a short one written in place could be guessed: write `${VAR}`).
 */
export function configFingerprint(entry: McpServerEntry): string {
  // Only the fields that say what is started: nothing else a caller's object carries.
  const fields =
    entry.transport === 'stdio'
      ? {
          transport: entry.transport,
          command: entry.command,
          args: entry.args,
          env: entry.env,
          cwd: entry.cwd,
        }
      : { transport: entry.transport, url: entry.url, headers: entry.headers };
  const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return createHash('sha256').update(canonicalJson(present)).digest('hex').slice(0, 16);
}

/** The servers of `config` as the log's `gateway.configured` lists them. */
export function configuredServers(config: McpServersConfig): ConfiguredServer[] {
  return config.servers.map((entry) => ({
    name: entry.name,
    config: configFingerprint(entry),
    transport: entry.transport,
  }));
}

// @internal One `mcpServers` entry, checked field by field into an `McpServerEntry`. Every
// refusal names the file, the server and the field (`mcp.json: mcpServers.github.args[2]: must
// be a string, got 3`); a value that may be a secret (an env value, a header, a URL) is never
// quoted, only its type.
import { upstreamHeaderProblem } from '../proxy/upstream/httpTransport.js';
import { placeholderProblem } from './expandVariables.js';
import { GatewayError } from './GatewayError.js';
import type { McpHttpServerEntry, McpServerEntry, McpStdioServerEntry } from './McpServerEntry.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The most characters of a server's name. */
export const MAX_NAME_LENGTH = 64;

/** Where a problem is: the file (when known) and the path of the field in it. */
export const configProblem = (source: string | undefined, path: string, problem: string) =>
  new GatewayError(
    'invalid_config',
    `${source === undefined ? '' : `${source}: `}${path}: ${problem}`,
  );

/** A key as a path step: `.name`, or `["odd name"]` (cut short when long). */
export function step(key: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(key)) return `.${key}`;
  return `[${JSON.stringify(key.length > MAX_NAME_LENGTH ? `${key.slice(0, MAX_NAME_LENGTH)}…` : key)}]`;
}

/** What a wrong value is, for a message: primitives shown (unless `secret`), the rest by kind. */
export function got(value: unknown, secret = false): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (secret || typeof value === 'function' || typeof value === 'symbol') {
    return `a ${typeof value}`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return typeof value;
}

/** A plain object (not an array, not null). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An own field, or undefined: an entry's prototype (`constructor`, …) is not its fields. */
const field = (record: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(record, key) ? record[key] : undefined;

const HTTP_TYPES = new Set(['http', 'streamable-http']);

/**
 * The entry `raw` of server `name` (at `key`, `mcpServers` or VS Code's `servers`), checked; or
 * `'disabled'` for an entry written with `disabled: true`, whose other fields are not read (a
 * switched-off entry is often a half-written one).
 */
export function readServerEntry(
  name: string,
  raw: unknown,
  at: { readonly source?: string; readonly key: string },
): McpServerEntry | 'disabled' {
  const path = `${at.key}${step(name)}`;
  const fail = (sub: string, problem: string): never => {
    throw configProblem(at.source, `${path}${sub}`, problem);
  };
  if (!isRecord(raw)) {
    return fail('', `must be an object ({ "command": … } or { "url": … }), got ${got(raw)}`);
  }
  const disabled = field(raw, 'disabled');
  if (disabled !== undefined && typeof disabled !== 'boolean') {
    fail('.disabled', `must be true or false, got ${got(disabled)}`);
  }
  if (disabled === true) return 'disabled';
  if (name === '') fail('', 'a server needs a name: the key of its entry is empty');
  if (name.length > MAX_NAME_LENGTH) {
    fail(
      '',
      `a server's name is at most ${MAX_NAME_LENGTH} characters, this one has ${name.length}: shorten it`,
    );
  }

  /**
   * A string field: no NUL, its `${…}` well written; `required`: not empty; `secret`: a wrong
   * value is described by its type only.
   */
  const text = (
    sub: string,
    value: unknown,
    how: { required?: boolean; secret?: boolean } = {},
  ) => {
    if (typeof value !== 'string')
      return fail(sub, `must be a string, got ${got(value, how.secret)}`);
    if (how.required === true && value.trim() === '') fail(sub, 'must not be empty');
    if (value.includes('\0'))
      fail(sub, 'holds a NUL character, which no argument, variable or header may hold');
    const problem = placeholderProblem(value);
    if (problem !== undefined) fail(sub, problem);
    return value;
  };
  /** A record of strings (`env`, `headers`), rebuilt with its keys as its own. */
  const record = (sub: string, value: unknown, check: (key: string, item: unknown) => void) => {
    if (!isRecord(value))
      return fail(sub, `must be an object of names to strings, got ${got(value)}`);
    const entries = Object.keys(value).map((key): [string, string] => {
      check(key, value[key]);
      return [key, text(`${sub}${step(key)}`, value[key], { secret: true })];
    });
    return Object.fromEntries(entries);
  };

  const type = field(raw, 'type');
  if (type !== undefined && type !== 'stdio' && !HTTP_TYPES.has(type as string)) {
    if (type === 'sse') {
      fail(
        '.type',
        '"sse" (the legacy HTTP+SSE transport) is not supported: point url at the server\'s Streamable HTTP endpoint (often /mcp rather than /sse) and write "type": "http"',
      );
    }
    fail('.type', `must be "stdio", "http" or "streamable-http", got ${got(type)}`);
  }
  const command = field(raw, 'command');
  const url = field(raw, 'url');
  if (command !== undefined && url !== undefined) {
    fail('', 'has both command (a stdio server) and url (an HTTP server): keep the one it is');
  }
  const http = type === undefined ? url !== undefined : type !== 'stdio';
  if (type === undefined && command === undefined && url === undefined) {
    fail('', 'needs command (a stdio server) or url (a Streamable HTTP server)');
  }

  if (!http) {
    if (command === undefined) fail('.command', 'is required for a stdio server');
    const entry: Mutable<McpStdioServerEntry> = {
      name,
      transport: 'stdio',
      command: text('.command', command, { required: true }),
    };
    const args = field(raw, 'args');
    if (args !== undefined) {
      if (!Array.isArray(args)) fail('.args', `must be an array of strings, got ${got(args)}`);
      entry.args = (args as unknown[]).map((arg, n) => text(`.args[${n}]`, arg));
    }
    const env = field(raw, 'env');
    if (env !== undefined) {
      entry.env = record('.env', env, (key) => {
        if (key === '' || key.includes('=') || key.includes('\0')) {
          fail(`.env${step(key)}`, 'is not a variable name (empty, or holding "=" or NUL)');
        }
      });
    }
    const cwd = field(raw, 'cwd');
    if (cwd !== undefined) entry.cwd = text('.cwd', cwd, { required: true });
    return entry;
  }

  if (url === undefined) fail('.url', 'is required for an HTTP server');
  const written = text('.url', url, { required: true });
  // With a `${…}` in it the URL is checked once its variables are known (`resolveUpstream`).
  if (!written.includes('${')) {
    const protocol = URL.canParse(written) ? new URL(written).protocol : undefined;
    if (protocol !== 'http:' && protocol !== 'https:') {
      fail(
        '.url',
        protocol === undefined
          ? 'is not a URL: write the server\'s Streamable HTTP endpoint, e.g. "https://example.com/mcp"'
          : `must be an http: or https: URL, got a ${JSON.stringify(protocol)} URL`,
      );
    }
  }
  const entry: Mutable<McpHttpServerEntry> = { name, transport: 'http', url: written };
  const headers = field(raw, 'headers');
  if (headers !== undefined) {
    const seen = new Map<string, string>();
    entry.headers = record('.headers', headers, (key, value) => {
      // Checked as written; a value with `${…}` again once expanded.
      const problem = upstreamHeaderProblem(key, value);
      if (problem !== undefined) fail(`.headers${step(key)}`, problem);
      const twice = seen.get(key.toLowerCase());
      if (twice !== undefined) {
        fail(
          '.headers',
          `names one header twice (${JSON.stringify(twice)} and ${JSON.stringify(key)}): header names ignore case, keep one`,
        );
      }
      seen.set(key.toLowerCase(), key);
    });
  }
  return entry;
}

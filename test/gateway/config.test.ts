// Issue 15: a gateway is configured by the `mcpServers` JSON people already have. It is read as
// written (placeholders kept, so the inventory reads it without the secrets it names), every
// mistake is refused naming the file, the server and the field, and resolving an entry expands
// its variables and proves its command can start before any agent calls it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { agentEntry } from '../../src/mcp/gateway/agentEntry.js';
import { GatewayError } from '../../src/mcp/gateway/GatewayError.js';
import {
  configFingerprint,
  configuredServers,
  MAX_CONFIG_BYTES,
  parseMcpServers,
} from '../../src/mcp/gateway/mcpServersConfig.js';
import type { McpServerEntry } from '../../src/mcp/gateway/McpServerEntry.js';
import { parseJsonText } from '../../src/mcp/gateway/parseJsonText.js';
import { resolveUpstream } from '../../src/mcp/gateway/resolveUpstream.js';
import { ToolflightError } from '../../src/index.js';

const SOURCE = 'mcp.json';

/** The error `run` throws (failing the test when it throws none). */
function thrown(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  return expect.unreachable('nothing was thrown');
}

/** The message `parseMcpServers` refuses `config` with (as JSON text, source `mcp.json`). */
const refusal = (config: unknown): string => {
  const error = thrown(() => parseMcpServers(JSON.stringify(config), { source: SOURCE }));
  expect(error.code).toBe('invalid_config');
  return error.message;
};

const one = (entry: unknown, name = 'srv') => ({ mcpServers: { [name]: entry } });

/** The one server of a one-server config. */
const only = (entry: unknown, name = 'srv'): McpServerEntry =>
  parseMcpServers(one(entry, name)).servers[0]!;

/** A directory with an executable `bin/server`, a plain file and a subdirectory; removed after. */
const dir = mkdtempSync(join(tmpdir(), 'toolflight-config-'));
mkdirSync(join(dir, 'bin'));
writeFileSync(join(dir, 'bin', 'server'), '#!/bin/sh\nexit 0\n');
chmodSync(join(dir, 'bin', 'server'), 0o755);
writeFileSync(join(dir, 'bin', 'notes.txt'), 'not a program');
chmodSync(join(dir, 'bin', 'notes.txt'), 0o644);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENV = { PATH: process.env.PATH, HOME: '/home/someone' } as const;

describe('parseMcpServers: the files people already have', () => {
  it("reads Claude Desktop's claude_desktop_config.json, its other settings ignored", () => {
    const text = `{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    },
    "github": {
      "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "\${GITHUB_TOKEN}" }
    }
  },
  "globalShortcut": "Ctrl+Space"
}`;
    expect(parseMcpServers(text, { source: 'claude_desktop_config.json' })).toEqual({
      servers: [
        {
          name: 'filesystem',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'],
        },
        {
          name: 'github',
          transport: 'stdio',
          command: 'docker',
          args: [
            'run',
            '-i',
            '--rm',
            '-e',
            'GITHUB_PERSONAL_ACCESS_TOKEN',
            'ghcr.io/github/github-mcp-server',
          ],
          // As written: the config is read without the secret it names.
          env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' },
        },
      ],
      disabled: [],
    });
  });

  it("reads Claude Code's .mcp.json: type http with headers, type stdio, extra fields ignored", () => {
    const text = JSON.stringify({
      mcpServers: {
        api: {
          type: 'http',
          url: '${API_BASE_URL:-https://api.example.com}/mcp',
          headers: { Authorization: 'Bearer ${API_KEY}', 'X-Team': 'core' },
        },
        memory: {
          type: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-memory'],
          env: {},
          timeout: 30_000,
          autoApprove: ['read_graph'],
        },
        streamable: { type: 'streamable-http', url: 'https://mcp.example.com/mcp' },
      },
    });
    expect(parseMcpServers(text, { source: '.mcp.json' }).servers).toEqual([
      {
        name: 'api',
        transport: 'http',
        url: '${API_BASE_URL:-https://api.example.com}/mcp',
        headers: { Authorization: 'Bearer ${API_KEY}', 'X-Team': 'core' },
      },
      {
        name: 'memory',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-memory'],
        env: {},
      },
      { name: 'streamable', transport: 'http', url: 'https://mcp.example.com/mcp' },
    ]);
  });

  it("reads Cursor's mcp.json: a url without type is HTTP; disabled entries are listed apart", () => {
    const config = parseMcpServers({
      mcpServers: {
        remote: { url: 'http://localhost:3000/mcp', headers: { API_KEY: '${env:REMOTE_KEY}' } },
        local: { command: 'node', args: ['server.js'], env: { API_KEY: 'value' }, alwaysAllow: [] },
        // Switched off, half written: not read at all.
        old: { disabled: true, command: 42 },
      },
    });
    expect(config).toEqual({
      servers: [
        {
          name: 'remote',
          transport: 'http',
          url: 'http://localhost:3000/mcp',
          headers: { API_KEY: '${env:REMOTE_KEY}' },
        },
        {
          name: 'local',
          transport: 'stdio',
          command: 'node',
          args: ['server.js'],
          env: { API_KEY: 'value' },
        },
      ],
      disabled: ['old'],
    });
  });

  it("reads VS Code's .vscode/mcp.json: the servers key, comments and trailing commas", () => {
    const text = `// Workspace MCP servers
{
  "inputs": [],
  "servers": {
    /* a local one */
    "memory": { "type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory",], },
  },
}`;
    expect(parseMcpServers(`\uFEFF${text}`).servers).toEqual([
      {
        name: 'memory',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-memory'],
      },
    ]);
  });

  it('reads the bytes of a file as they are read from disk', () => {
    const bytes = Buffer.from(JSON.stringify(one({ command: 'node' })));
    expect(parseMcpServers(bytes).servers).toEqual([
      { name: 'srv', transport: 'stdio', command: 'node' },
    ]);
    const invalid = thrown(() =>
      parseMcpServers(Buffer.from([0x7b, 0xff, 0x7d]), { source: SOURCE }),
    );
    expect(invalid.message).toBe('mcp.json: the config: is not UTF-8 text');
  });
});

describe('parseMcpServers: every mistake named by file, server and field', () => {
  it.each<[string, unknown, string | RegExp]>([
    [
      'an argument that is not a string',
      one({ command: 'npx', args: ['-y', 'pkg', 3] }, 'github'),
      'mcp.json: mcpServers.github.args[2]: must be a string, got 3',
    ],
    [
      'args that are not an array',
      one({ command: 'npx', args: 'pkg' }),
      /mcpServers\.srv\.args: must be an array of strings, got "pkg"$/,
    ],
    [
      'a command that is not a string',
      one({ command: 42 }),
      /mcpServers\.srv\.command: must be a string, got 42$/,
    ],
    ['an empty command', one({ command: '  ' }), /mcpServers\.srv\.command: must not be empty$/],
    [
      'a stdio entry without command',
      one({ type: 'stdio', args: [] }),
      /mcpServers\.srv\.command: is required for a stdio server$/,
    ],
    [
      'an entry with neither command nor url',
      one({ args: ['x'] }),
      /mcpServers\.srv: needs command \(a stdio server\) or url/,
    ],
    [
      'an entry with both',
      one({ command: 'node', url: 'https://x.example/mcp' }),
      /mcpServers\.srv: has both command .* and url/,
    ],
    [
      'an entry that is not an object',
      one('npx server'),
      /mcpServers\.srv: must be an object .*, got "npx server"$/,
    ],
    [
      'an env that is an array',
      one({ command: 'node', env: ['A=1'] }),
      /mcpServers\.srv\.env: must be an object of names to strings, got an array$/,
    ],
    // A value there may be a secret: its type only.
    [
      'an env value that is not a string',
      one({ command: 'node', env: { PORT: 8080 } }),
      /mcpServers\.srv\.env\.PORT: must be a string, got a number$/,
    ],
    [
      'an env name with "="',
      one({ command: 'node', env: { 'A=B': 'x' } }),
      /mcpServers\.srv\.env\["A=B"\]: is not a variable name/,
    ],
    [
      'a cwd that is not a string',
      one({ command: 'node', cwd: ['/tmp'] }),
      /mcpServers\.srv\.cwd: must be a string, got an array$/,
    ],
    [
      'a url that is no URL',
      one({ type: 'http', url: 'not a url' }),
      /mcpServers\.srv\.url: is not a URL: write the server's Streamable HTTP endpoint/,
    ],
    [
      'a url that is not http(s)',
      one({ url: 'ws://example.com/mcp' }),
      /mcpServers\.srv\.url: must be an http: or https: URL, got a "ws:" URL$/,
    ],
    [
      'an http entry without url',
      one({ type: 'http', headers: {} }),
      /mcpServers\.srv\.url: is required for an HTTP server$/,
    ],
    [
      'the legacy SSE transport',
      one({ type: 'sse', url: 'https://x.example/sse' }),
      /mcpServers\.srv\.type: "sse" \(the legacy HTTP\+SSE transport\) is not supported: point url at the server's Streamable HTTP endpoint/,
    ],
    [
      'an unknown type',
      one({ type: 'websocket', url: 'https://x.example' }),
      /mcpServers\.srv\.type: must be "stdio", "http" or "streamable-http", got "websocket"$/,
    ],
    [
      'headers that are not an object',
      one({ url: 'https://x.example/mcp', headers: 'X-Key: 1' }),
      /mcpServers\.srv\.headers: must be an object/,
    ],
    [
      'a header value that is not a string',
      one({ url: 'https://x.example/mcp', headers: { 'X-Key': 12345 } }),
      /mcpServers\.srv\.headers\.X-Key: must be a string, got a number$/,
    ],
    [
      'a header of the protocol',
      one({ url: 'https://x.example/mcp', headers: { 'Mcp-Session-Id': 'abc' } }),
      /mcpServers\.srv\.headers\.Mcp-Session-Id: is a header of the MCP protocol/,
    ],
    [
      'a hop-by-hop header',
      one({ url: 'https://x.example/mcp', headers: { Connection: 'close' } }),
      /mcpServers\.srv\.headers\.Connection: is a header the proxy sets itself, or one of a single connection hop/,
    ],
    [
      'a header written twice',
      one({ url: 'https://x.example/mcp', headers: { 'X-Key': 'a', 'x-key': 'b' } }),
      /mcpServers\.srv\.headers: names one header twice \("X-Key" and "x-key"\)/,
    ],
    [
      'disabled that is not a boolean',
      one({ command: 'node', disabled: 'yes' }),
      /mcpServers\.srv\.disabled: must be true or false, got "yes"$/,
    ],
    ['an empty name', one({ command: 'node' }, ''), /mcpServers\[""\]: a server needs a name/],
    [
      'a name over 64 characters',
      one({ command: 'node' }, 'n'.repeat(65)),
      /mcpServers\.n{65}: a server's name is at most 64 characters, this one has 65/,
    ],
    [
      'a placeholder without a name',
      one({ command: 'node', args: ['${}'] }),
      /mcpServers\.srv\.args\[0\]: a \$\{…\} names no variable/,
    ],
    [
      'a placeholder that is no name',
      one({ command: 'node', args: ['${1ST}'] }),
      /mcpServers\.srv\.args\[0\]: "1ST" is not a variable name/,
    ],
    [
      "VS Code's input variables",
      one({ url: 'https://x.example/mcp', headers: { 'X-Key': '${input:api-key}' } }),
      /headers\.X-Key: "input:api-key" is not a variable name \(VS Code's \$\{input:…\} is not expanded here\)/,
    ],
    [
      'a nested default',
      one({ command: 'node', args: ['${A:-${B}}'] }),
      /args\[0\]: the default of \$\{A:-…\} holds another variable/,
    ],
    [
      'mcpServers that is an array',
      { mcpServers: [{ command: 'node' }] },
      'mcp.json: mcpServers: must be an object keyed by server name, got an array',
    ],
    [
      'both mcpServers and servers',
      { mcpServers: {}, servers: {} },
      'mcp.json: its top level: has both "mcpServers" and "servers" (VS Code\'s name for the same map): keep one',
    ],
    [
      'neither mcpServers nor servers',
      { servers_: {} },
      /mcp\.json: its top level: has no "mcpServers": expected/,
    ],
    [
      'a top level that is an array',
      [],
      'mcp.json: its top level: must be an object with "mcpServers", got an array',
    ],
    [
      'a top level that is a string',
      'mcpServers',
      /its top level: must be an object with "mcpServers", got "mcpServers"$/,
    ],
    [
      'a top level that is null',
      null,
      /its top level: must be an object with "mcpServers", got null$/,
    ],
    [
      'a top level that is a number',
      42,
      /its top level: must be an object with "mcpServers", got 42$/,
    ],
  ])('refuses %s', (_, config, message) => {
    if (typeof message === 'string') expect(refusal(config)).toBe(message);
    else expect(refusal(config)).toMatch(message);
  });

  it('never quotes a value that may be a secret: an env value, a header, a default', () => {
    const secret = 'Sx9d3e7a1c5b2f40';
    const messages = [
      refusal(one({ url: 'https://x.example/mcp', headers: { 'X-Key': `${secret}\nX-Evil: 1` } })),
      refusal(one({ url: 'ftp://user:' + secret + '@x.example/mcp' })),
      refusal(one({ command: 'node', args: [`\${A:-${secret}\${B}}`] })),
      refusal(one({ command: 'node', env: { TOKEN: [secret] } })),
    ];
    expect(messages[0]).toMatch(/headers\.X-Key: holds a line break/);
    for (const message of messages) expect(message).not.toContain(secret);
  });

  it('refuses more than 100 servers, and an input over 1 MiB', () => {
    const servers = Object.fromEntries(
      Array.from({ length: 101 }, (_, n) => [`s${n}`, { command: 'node' }]),
    );
    expect(refusal({ mcpServers: servers })).toBe(
      'mcp.json: mcpServers: lists 101 servers, more than the 100 one gateway takes: split them across gateways',
    );
    const { s0, ...hundred } = servers;
    expect(s0).toBeDefined();
    expect(parseMcpServers({ mcpServers: hundred }).servers).toHaveLength(100);
    const padding = ' '.repeat(MAX_CONFIG_BYTES);
    const huge = thrown(() =>
      parseMcpServers(`${JSON.stringify(one({ command: 'node' }))}${padding}`, { source: SOURCE }),
    );
    expect(huge).toMatchObject({
      code: 'invalid_config',
      message: expect.stringMatching(
        /^mcp\.json: the config: is \d+ bytes, more than the 1048576 read/,
      ) as unknown,
    });
  });

  it('says where malformed JSON goes wrong, by line and column, without quoting the text', () => {
    const text =
      '{\n  "mcpServers": {\n    "github": { "command": "npx" }\n    "memory": {}\n  }\n}';
    const error = thrown(() => parseMcpServers(text, { source: SOURCE }));
    expect(error).toMatchObject({ code: 'invalid_config' });
    expect(error.message).toBe(
      'mcp.json: not valid JSON at line 4, column 5: expected "," or "}" after a property, found "\\""',
    );
    const leaky =
      '{"mcpServers": {"x": {"command": "node", "env": {"TOKEN": sk-live-4f9a8b7c6d5e}}}}';
    const unquoted = thrown(() => parseMcpServers(leaky, { source: SOURCE }));
    expect(unquoted.message).toMatch(
      /^mcp\.json: not valid JSON at line 1, column 59: expected a value, found "s"$/,
    );
    expect(unquoted.message).not.toContain('live-4f9a');
    expect(thrown(() => parseMcpServers('')).message).toBe(
      'not valid JSON at line 1, column 1: expected a value, found the end of the text',
    );
    expect(thrown(() => parseMcpServers('{"mcpServers": {"a": 1}} x')).message).toMatch(
      /line 1, column 26: expected the end of the text/,
    );
    expect(thrown(() => parseMcpServers('{"mcpServers": {"a": "\n"}}')).message).toMatch(
      /column 23: a string holds a raw control character/,
    );
    expect(thrown(() => parseMcpServers('{"mcpServers": {} /* open')).message).toMatch(
      /a \/\* comment is never closed/,
    );
  });

  it('refuses a key written twice, which JSON.parse would settle silently', () => {
    const text = '{"mcpServers": {"github": {"command": "a"},\n "github": {"command": "b"}}}';
    expect(thrown(() => parseMcpServers(text, { source: SOURCE })).message).toBe(
      'mcp.json: not valid JSON at line 2, column 2: the key "github" is written twice',
    );
  });

  it('refuses two names that become the same tool-name prefix, naming both', () => {
    const message = refusal({
      mcpServers: {
        'my server': { command: 'a' },
        'my.server': { command: 'b' },
        'my/server': { command: 'c' },
      },
    });
    expect(message).toBe(
      'mcp.json: mcpServers: "my server" and "my/server" both become "my_server" in tool names (characters outside A-Z a-z 0-9 _ . - become _): rename one',
    );
  });

  it('is a ToolflightError, and names no source when given none', () => {
    const error = thrown(() => parseMcpServers(one({ command: 3 })));
    expect(error).toBeInstanceOf(ToolflightError);
    expect(error.message).toBe('mcpServers.srv.command: must be a string, got 3');
  });
});

describe('parseMcpServers: hostile input', () => {
  it('takes __proto__, constructor and toString as server names without touching any prototype', () => {
    const text = `{"mcpServers": {
      "__proto__": { "command": "node", "env": { "__proto__": "x", "polluted": "yes" } },
      "constructor": { "command": "node" },
      "toString": { "url": "https://x.example/mcp" }
    }}`;
    const config = parseMcpServers(text);
    expect(config.servers.map((server) => server.name)).toEqual([
      '__proto__',
      'constructor',
      'toString',
    ]);
    const env = (config.servers[0] as { env: Record<string, string> }).env;
    expect(Object.keys(env)).toEqual(['__proto__', 'polluted']);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).command).toBeUndefined();
    // Parsed elsewhere first, the same.
    expect(parseMcpServers(JSON.parse(text)).servers.map((s) => s.name)).toEqual([
      '__proto__',
      'constructor',
      'toString',
    ]);
  });

  it('reads an entry’s own fields only, never what its prototype offers', () => {
    const entry = Object.create({ command: 'rm', args: ['-rf', '/'] }) as object;
    expect(refusal(one({}))).toMatch(/mcpServers\.srv: needs command/);
    expect(() => parseMcpServers(one(entry))).toThrow(/mcpServers\.srv: needs command/);
    // `constructor` is an own property of no entry: not a field.
    expect(refusal(one({ url: 'https://x.example/mcp', headers: { constructor: 3 } }))).toMatch(
      /headers\.constructor: must be a string, got a number/,
    );
  });

  it('refuses text nested deeper than 64 levels at once, and ignores deep values it does not read', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = `{"mcpServers": {"a": {"command": "node", "autoApprove": ${deep}}}}`;
    expect(thrown(() => parseMcpServers(text, { source: SOURCE })).message).toMatch(
      /^mcp\.json: not valid JSON at line 1, column \d+: nested deeper than 64 levels$/,
    );
    // Already parsed, an unknown field is not walked; a known one is refused by its type.
    const value = JSON.parse(text) as unknown;
    expect(parseMcpServers(value).servers).toEqual([
      { name: 'a', transport: 'stdio', command: 'node' },
    ]);
    const deepArg = thrown(() =>
      parseMcpServers(one({ command: 'node', args: [JSON.parse(deep)] })),
    );
    expect(deepArg.message).toBe('mcpServers.srv.args[0]: must be a string, got an array');
  });
});

describe('resolveUpstream: variables', () => {
  it('expands ${VAR}, ${env:VAR} and ${VAR:-default} in command, args, env, cwd, url and headers', () => {
    const stdio = only({
      command: '${NODE}',
      args: ['--root=${ROOT}', '${MODE:-fast}', 'plain $HOME'],
      env: { TOKEN: '${env:SERVICE_TOKEN}', LEVEL: '${LEVEL:-info}' },
      cwd: '${ROOT}',
    });
    const env = {
      ...ENV,
      NODE: process.execPath,
      ROOT: dir,
      SERVICE_TOKEN: 'Tk1a2b3c4d5e6f70',
      MODE: '',
    };
    expect(resolveUpstream(stdio, env)).toEqual({
      name: 'srv',
      command: process.execPath,
      // `:-` takes the default for an empty value too; `$HOME` without braces is text.
      args: [`--root=${dir}`, 'fast', 'plain $HOME'],
      env: { TOKEN: 'Tk1a2b3c4d5e6f70', LEVEL: 'info' },
      cwd: dir,
      // What came from the environment, but for the command and its folder: masked in what the
      // child says.
      secrets: [dir, 'Tk1a2b3c4d5e6f70'],
    });
    const http = only({
      type: 'http',
      url: '${BASE:-https://api.example.com}/mcp',
      headers: { Authorization: 'Bearer ${API_KEY}' },
    });
    expect(resolveUpstream(http, { API_KEY: 'Ak9f8e7d6c5b4a30' })).toEqual({
      name: 'srv',
      url: 'https://api.example.com/mcp',
      headers: { Authorization: 'Bearer Ak9f8e7d6c5b4a30' },
      secrets: ['Ak9f8e7d6c5b4a30'],
    });
    expect(resolveUpstream(http, { API_KEY: 'k', BASE: 'http://127.0.0.1:9' })).toMatchObject({
      url: 'http://127.0.0.1:9/mcp',
    });
    // One level: a value holding a placeholder goes in as it is.
    expect(resolveUpstream(http, { API_KEY: '${HOME}' })).toMatchObject({
      headers: { Authorization: 'Bearer ${HOME}' },
    });
  });

  it('refuses a variable that is not set, naming server, field and variable, never a value', () => {
    const entry = parseMcpServers({
      mcpServers: {
        github: { command: 'node', env: { GITHUB_TOKEN: '${GITHUB_PAT}', OTHER: '${SET_ONE}' } },
      },
    }).servers[0]!;
    const error = thrown(() =>
      resolveUpstream(entry, { ...ENV, SET_ONE: 'Sv0a9b8c7d6e5f41' }, { source: '.mcp.json' }),
    );
    expect(error.code).toBe('invalid_config');
    expect(error.message).toBe(
      ".mcp.json: mcpServers.github.env.GITHUB_TOKEN: ${GITHUB_PAT} is not set: set GITHUB_PAT in the gateway's environment, or write ${GITHUB_PAT:-default}",
    );
    const many = only({
      url: 'https://${HOST}/mcp',
      headers: { 'X-Key': '${KEY}', 'X-Other': '${HOST}' },
    });
    expect(thrown(() => resolveUpstream(many, {})).message).toBe(
      "mcpServers.srv.url: ${HOST} is not set: set HOST in the gateway's environment, or write ${HOST:-default}; not set either: ${KEY} (headers.X-Key), ${HOST} (headers.X-Other)",
    );
    // The environment's own properties only: `constructor` is no variable.
    expect(() => resolveUpstream(only({ command: 'node', args: ['${constructor}'] }), ENV)).toThrow(
      /\$\{constructor\} is not set/,
    );
  });

  it('refuses a url that is no http(s) URL once expanded, and a header value with a line break', () => {
    const url = only({ url: '${BASE}/mcp' });
    expect(thrown(() => resolveUpstream(url, { BASE: 'ftp://x' })).message).toBe(
      'mcpServers.srv.url: is not an http: or https: URL once its variables are expanded',
    );
    const header = only({ url: 'https://x.example/mcp', headers: { 'X-Key': '${KEY}' } });
    const error = thrown(() => resolveUpstream(header, { KEY: 'Lb5c0e8a2f7d19b3\r\nX: 1' }));
    expect(error.message).toMatch(
      /^mcpServers\.srv\.headers\.X-Key: once expanded, holds a line break/,
    );
    expect(error.message).not.toContain('Lb5c0e8a2f7d19b3');
  });
});

describe('resolveUpstream: a command that cannot start fails now, not at the first call', () => {
  it('refuses a bare name that is not on the PATH the server gets', () => {
    const error = thrown(() =>
      resolveUpstream(only({ command: 'no-such-mcp-server-7f3a' }, 'ghost'), ENV),
    );
    expect(error.code).toBe('command_not_found');
    expect(error.message).toMatch(
      /^mcpServers\.ghost\.command: "no-such-mcp-server-7f3a" was not found on PATH \(\d+ directories searched, of the PATH the server gets: its env\.PATH, else the gateway's\)/,
    );
    expect(error.message).toMatch(/install it, or write its absolute path$/);
  });

  it("finds a bare name on the entry's own env PATH first, else on the environment's", () => {
    const bin = join(dir, 'bin');
    const own = only({ command: 'server', env: { PATH: bin } });
    expect(resolveUpstream(own, { PATH: '/nonexistent' })).toMatchObject({ command: 'server' });
    expect(
      resolveUpstream(only({ command: 'server' }), { PATH: `/nonexistent:${bin}` }),
    ).toMatchObject({ command: 'server' });
    expect(
      thrown(() =>
        resolveUpstream(only({ command: 'server', env: { PATH: '/nonexistent' } }), { PATH: bin }),
      ).code,
    ).toBe('command_not_found');
    // `node` is where this test runs it from.
    expect(
      resolveUpstream(only({ command: 'node' }), { PATH: join(process.execPath, '..') }),
    ).toMatchObject({ command: 'node' });
  });

  it('refuses a path that is missing, a directory, or not executable', () => {
    const missing = thrown(() =>
      resolveUpstream(only({ command: join(dir, 'bin', 'absent') }), ENV),
    );
    expect(missing).toMatchObject({ code: 'command_not_found' });
    expect(missing.message).toMatch(
      /mcpServers\.srv\.command: ".*absent" \(relative to the gateway's working directory\) cannot be started: nothing is at .*absent$/,
    );
    expect(thrown(() => resolveUpstream(only({ command: join(dir, 'bin') }), ENV)).message).toMatch(
      /is a directory$/,
    );
    expect(
      thrown(() => resolveUpstream(only({ command: join(dir, 'bin', 'notes.txt') }), ENV)).message,
    ).toMatch(/notes\.txt is not executable \(chmod \+x it/);
  });

  it('finds a relative command from cwd, not from the gateway’s directory', () => {
    const entry = only({ command: './bin/server', cwd: dir });
    expect(resolveUpstream(entry, ENV)).toEqual({ name: 'srv', command: './bin/server', cwd: dir });
    const error = thrown(() => resolveUpstream(only({ command: './bin/server' }), ENV));
    expect(error.message).toMatch(
      /"\.\/bin\/server" \(relative to the gateway's working directory\) cannot be started/,
    );
    const elsewhere = thrown(() => resolveUpstream(only({ command: './server', cwd: dir }), ENV));
    expect(elsewhere.message).toContain(
      `"./server" (relative to cwd ${dir}) cannot be started: nothing is at ${join(dir, 'server')}`,
    );
  });

  it('refuses a cwd that is not a directory', () => {
    const error = thrown(() =>
      resolveUpstream(only({ command: 'node', cwd: '${HOME}/nowhere-4e1f' }), ENV),
    );
    expect(error).toMatchObject({ code: 'invalid_config' });
    expect(error.message).toBe(
      'mcpServers.srv.cwd: "${HOME}/nowhere-4e1f" is not a directory: create it, or fix the path',
    );
  });
});

describe('configFingerprint and configuredServers', () => {
  const a = `{"mcpServers": {"gh": {"command": "npx", "args": ["-y", "gh"], "env": {"A": "1", "TOKEN": "\${GH}"}}}}`;
  const b = `{"mcpServers": {"gh": {"env": {"TOKEN": "\${GH}", "A": "1"}, "args": ["-y", "gh"], "command": "npx", "timeout": 5}}}`;

  it('is the same for the same entry in any key order, and 16 hex digits', () => {
    const first = configFingerprint(parseMcpServers(a).servers[0]!);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(configFingerprint(parseMcpServers(b).servers[0]!)).toBe(first);
    const http = ['"type": "http", ', '"type": "streamable-http", ', ''].map((type) =>
      configFingerprint(
        parseMcpServers(`{"mcpServers": {"x": {${type}"url": "https://x.example/mcp"}}}`)
          .servers[0]!,
      ),
    );
    expect(new Set(http).size).toBe(1);
  });

  it('changes with what the entry starts, not with its name or the values of its variables', () => {
    const entry = parseMcpServers(a).servers[0]!;
    const fingerprint = configFingerprint(entry);
    expect(configFingerprint({ ...entry, name: 'renamed' })).toBe(fingerprint);
    expect(
      configFingerprint(
        only({ command: 'npx', args: ['-y', 'gh2'], env: { A: '1', TOKEN: '${GH}' } }),
      ),
    ).not.toBe(fingerprint);
    // Computed from the text as written: whatever GH holds, before or after resolving.
    resolveUpstream(only({ command: 'node', env: { TOKEN: '${GH}' } }), {
      ...ENV,
      GH: 'Gh5e4d3c2b1a0f96',
    });
    expect(configFingerprint(parseMcpServers(a).servers[0]!)).toBe(fingerprint);
    const literal = only({ command: 'node', env: { TOKEN: 'Lit7a6b5c4d3e2f18' } });
    expect(configFingerprint(literal)).not.toContain('Lit7a6b5c4d3e2f18');
  });

  it('lists the servers as gateway.configured does', () => {
    const config = parseMcpServers({
      mcpServers: {
        gh: { command: 'npx' },
        api: { url: 'https://x.example/mcp' },
        off: { disabled: true },
      },
    });
    expect(configuredServers(config)).toEqual([
      { name: 'gh', config: configFingerprint(config.servers[0]!), transport: 'stdio' },
      { name: 'api', config: configFingerprint(config.servers[1]!), transport: 'http' },
    ]);
  });
});

describe('agentEntry', () => {
  const url = 'http://127.0.0.1:4100/mcp';

  it('is the one HTTP entry an agent gets, with its credential as a bearer header', () => {
    expect(agentEntry({ url, credential: 'tf1.abc_DEF-123' })).toEqual({
      mcpServers: {
        toolflight: { type: 'http', url, headers: { Authorization: 'Bearer tf1.abc_DEF-123' } },
      },
    });
    const named = agentEntry({ url, credential: 'tf1.x', name: 'tools' });
    expect(Object.keys(named.mcpServers)).toEqual(['tools']);
    // It is itself a config the gateway reads.
    expect(parseMcpServers(JSON.stringify(named)).servers).toEqual([
      { name: 'tools', transport: 'http', url, headers: { Authorization: 'Bearer tf1.x' } },
    ]);
  });

  it('refuses a name, a url or a credential it could not write', () => {
    for (const options of [
      { url, credential: 'tf1.x', name: 'my tools' },
      { url, credential: 'tf1.x', name: '' },
      { url: 'ws://127.0.0.1/mcp', credential: 'tf1.x' },
      { url, credential: '' },
      { url, credential: 'tf1.x\r\nX-Evil: 1' },
    ]) {
      expect(thrown(() => agentEntry(options)).code).toBe('invalid_option');
    }
  });
});

describe('parseJsonText: the same values as JSON.parse', () => {
  it('reads whatever JSON.stringify writes as JSON.parse does, compact or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.constantFrom(undefined, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(parseJsonText(text)).toEqual({ value: JSON.parse(text) as unknown });
      }),
      { seed: 15, numRuns: 500 },
    );
  });

  it('refuses what JSON.parse refuses, outside comments and trailing commas', () => {
    for (const text of [
      '{"a" 1}',
      '[1 2]',
      '{a: 1}',
      "{'a': 1}",
      '01',
      '1.',
      '-',
      '"\\x"',
      'tru',
      '[',
      '{"a":}',
      'NaN',
      '"\\u12"',
    ]) {
      expect(() => JSON.parse(text) as unknown).toThrow();
      expect(parseJsonText(text)).toHaveProperty('problem');
    }
  });
});

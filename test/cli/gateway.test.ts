// `toolflight gateway --config FILE`: an mcpServers file's servers behind one tracked endpoint,
// the one entry an agent gets, and a bad file refused at start with where and why (exit 2).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it, onTestFinished } from 'vitest';

import { runGateway } from '../../src/cli/gateway.js';
import { callText } from '../gateway/support.js';
import { agentTransport } from '../proxy/support.js';
import { startBin } from '../support/runBin.js';
import { MEMORY_VAR, startGatewayCli, toolsOf, twoServers, writeConfig } from './gatewaySupport.js';

/** Run the gateway to its end (a refusal): its exit code and what it printed. */
async function refused(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runGateway(
    args,
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    // Never stops on its own: a refusal must end the run before it listens.
    new Promise(() => {}),
    env,
  );
  return { code, out, err: err.join('\n') };
}

describe('toolflight gateway', { timeout: 60_000 }, () => {
  it('serves both servers of the file under <server>__<tool> to an agent with the printed credential, and stops with exit 0', async () => {
    const { dir, entries, env } = twoServers();
    const config = writeConfig(dir, 'mcp.json', entries);
    const cli = await startGatewayCli(['--config', config], env);
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(cli.out).toEqual([
      `toolflight gateway listening on ${cli.url}`,
      `servers from ${config}:`,
      '  alpha   stdio',
      '  memory  stdio',
      'agent config (--mcp-config), tracked as capture "gateway":',
      JSON.stringify({
        mcpServers: {
          toolflight: {
            type: 'http',
            url: cli.url,
            headers: { Authorization: 'Bearer ${TOOLFLIGHT_GATEWAY_TOKEN}' },
          },
        },
      }),
      'agent environment:',
      `TOOLFLIGHT_GATEWAY_TOKEN=${cli.credential}`,
    ]);
    expect(cli.credential).not.toBe('');
    expect(cli.out.slice(0, -1).join('\n')).not.toContain(cli.credential);

    const agent = await cli.connect();
    const names = await toolsOf(agent, ['alpha', 'memory']);
    expect(names).toEqual(expect.arrayContaining(['alpha__greet', 'alpha__shout']));
    expect(names).toContain('memory__read_graph');
    expect(names.every((name) => /^(alpha|memory)__/.test(name))).toBe(true);
    await expect(callText(agent, 'alpha__greet')).resolves.toEqual({
      text: 'alpha:greet',
      isError: false,
    });
    // The memory server got its file from the expanded `${VAR}`.
    await callText(agent, 'memory__create_entities', {
      entities: [{ name: 'gateway', entityType: 'test', observations: ['via the CLI'] }],
    });
    expect(readFileSync(env[MEMORY_VAR]!, 'utf8')).toContain('via the CLI');
    await expect(cli.stop()).resolves.toBe(0);
  });

  it('hides --hide tools by gateway name, tracks agents under --capture, and records with --record', async () => {
    const { dir, entries, env } = twoServers();
    const config = writeConfig(dir, 'mcp.json', entries);
    const record = join(dir, 'run.jsonl');
    const cli = await startGatewayCli(
      [
        '--config',
        config,
        '--hide',
        'alpha__sh*',
        '--hide',
        'memory__*',
        '--capture',
        'run-7',
        '--record',
        record,
      ],
      env,
    );
    expect(cli.out).toContain('agent config (--mcp-config), tracked as capture "run-7":');
    const agent = await cli.connect();
    expect(await toolsOf(agent, ['alpha'])).toEqual(['alpha__greet']);
    await expect(callText(agent, 'alpha__shout')).resolves.toMatchObject({ isError: true });
    await callText(agent, 'alpha__greet');
    await expect(cli.stop()).resolves.toBe(0);
    const events = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; capture?: string; data?: unknown });
    expect(events.find((event) => event.type === 'gateway.configured')).toMatchObject({
      data: {
        servers: [
          { name: 'alpha', transport: 'stdio' },
          { name: 'memory', transport: 'stdio' },
        ],
      },
    });
    // The hidden tool's call is tracked too, and refused: `--hide` holds at tools/call.
    expect(events.filter((event) => event.type === 'toolCall.started')).toMatchObject([
      { capture: 'run-7', data: { toolName: 'alpha__shout' } },
      { capture: 'run-7', data: { toolName: 'alpha__greet' } },
    ]);
  });

  it('says on stderr when a server changes state and when it listed its tools', async () => {
    const { dir, entries, env } = twoServers();
    const cli = await startGatewayCli(['--config', writeConfig(dir, 'mcp.json', entries)], env);
    const up = cli.errLine(/^server alpha up$/);
    const listed = cli.errLine(/^server alpha listed/);
    const agent = await cli.connect();
    await callText(agent, 'alpha__greet');
    await expect(up).resolves.toBe('server alpha up');
    await expect(listed).resolves.toBe('server alpha listed 2 tools');
    await expect(cli.stop()).resolves.toBe(0);
  });

  it('lists disabled servers as not started', async () => {
    const { dir, entries, env } = twoServers();
    const config = writeConfig(dir, 'mcp.json', {
      ...entries,
      old: { command: 'no-such-command', disabled: true },
    });
    const cli = await startGatewayCli(['--config', config], env);
    expect(cli.out).toContain('  old     disabled (not started)');
    await expect(cli.stop()).resolves.toBe(0);
  });

  describe('refuses a bad config at start, exit 2, naming the file and where', () => {
    it('a file that is not there', async () => {
      const missing = join(twoServers().dir, 'none.json');
      const { code, err, out } = await refused(['--config', missing]);
      expect(code).toBe(2);
      // The file's problem alone: the usage would bury it.
      expect(err).toBe(`toolflight gateway: cannot read the config ${missing}: no such file`);
      expect(out).toEqual([]);
    });

    it('a directory', async () => {
      const { dir } = twoServers();
      const { code, err } = await refused(['--config', dir]);
      expect(code).toBe(2);
      expect(err).toBe(`toolflight gateway: cannot read the config ${dir}: it is a directory`);
    });

    it('Seen: a FIFO nobody writes to, which hung the command past Ctrl-C', async () => {
      const fifo = join(twoServers().dir, 'mcp.json');
      execFileSync('mkfifo', [fifo]);
      const { code, err } = await refused(['--config', fifo]);
      expect(code).toBe(2);
      expect(err).toMatch(/is not a regular file \(a pipe, a socket or a device\)/);
    });

    it('malformed JSON, with its line and column', async () => {
      const { dir } = twoServers();
      const config = writeConfig(
        dir,
        'mcp.json',
        '{\n  "mcpServers": {\n    "alpha": { "command": "node" "args": [] }\n  }\n}\n',
      );
      const { code, err } = await refused(['--config', config]);
      expect(code).toBe(2);
      expect(err).toBe(
        `toolflight gateway: ${config}: not valid JSON at line 3, column 34: expected "," or "}" after a property, found "\\""`,
      );
    });

    it('a file over 1 MiB, unread', async () => {
      const { dir } = twoServers();
      const config = join(dir, 'huge.json');
      const text = `{"mcpServers":{},"pad":"${'x'.repeat(1024 * 1024)}"}`;
      writeFileSync(config, text);
      const { code, err } = await refused(['--config', config]);
      expect(code).toBe(2);
      expect(err).toBe(
        `toolflight gateway: ${config}: the config: is ${text.length} bytes, more than the 1048576 (1 MiB) read: is this the mcpServers file?`,
      );
    });

    it('a ${VAR} that is not set: the server, the field and the variable, no value', async () => {
      const { dir, entries, env } = twoServers();
      const config = writeConfig(dir, 'mcp.json', {
        ...entries,
        search: {
          command: process.execPath,
          args: ['--version'],
          env: { API_KEY: '${TOOLFLIGHT_TEST_UNSET_KEY}', OTHER: '${TOOLFLIGHT_TEST_SECRET}' },
        },
      });
      const { code, err } = await refused(['--config', config], {
        ...env,
        TOOLFLIGHT_TEST_SECRET: 'hunter2-secret-value',
      });
      expect(code).toBe(2);
      expect(err).toMatch(
        new RegExp(
          `^toolflight gateway: ${escape(config)}: mcpServers\\.search\\.env\\.API_KEY: \\$\\{TOOLFLIGHT_TEST_UNSET_KEY\\} is not set: set TOOLFLIGHT_TEST_UNSET_KEY in the gateway's environment`,
        ),
      );
      expect(err).not.toContain('hunter2');
      expect(err).not.toContain(env[MEMORY_VAR]);
    });

    it('a command that does not exist: the server and the command', async () => {
      const { dir, entries, env } = twoServers();
      const config = writeConfig(dir, 'mcp.json', {
        ...entries,
        ghost: { command: 'toolflight-test-no-such-command' },
      });
      const { code, err } = await refused(['--config', config], env);
      expect(code).toBe(2);
      expect(err).toMatch(
        new RegExp(
          `^toolflight gateway: ${escape(config)}: mcpServers\\.ghost\\.command: .*toolflight-test-no-such-command`,
        ),
      );
    });

    it('a field of the wrong type', async () => {
      const { dir, env } = twoServers();
      const config = writeConfig(dir, 'mcp.json', { alpha: { command: 'node', args: 'serve' } });
      const { code, err } = await refused(['--config', config], env);
      expect(code).toBe(2);
      expect(err).toMatch(
        new RegExp(`^toolflight gateway: ${escape(config)}: mcpServers\\.alpha\\.args: `),
      );
    });

    it('a file with no server to start', async () => {
      const { dir } = twoServers();
      const config = writeConfig(dir, 'mcp.json', { old: { command: 'x', disabled: true } });
      const { code, err } = await refused(['--config', config]);
      expect(code).toBe(2);
      expect(err).toBe(
        `toolflight gateway: ${config} lists no server to start (1 disabled): add one under "mcpServers"`,
      );
    });
  });

  it('refuses an --otlp that is not an http(s) URL, or a bad OTEL_EXPORTER_OTLP_TIMEOUT, exit 2 before reading the config', async () => {
    const scheme = await refused(['--config', 'no-such.json', '--otlp', 'grpc://localhost:4317']);
    expect(scheme.code).toBe(2);
    expect(scheme.err).toMatch(
      /^toolflight gateway: --otlp: the OTLP endpoint must be an http\(s\) URL \(OTLP\/HTTP\), got a grpc: URL.*\nusage:/,
    );
    const timeout = await refused(['--config', 'no-such.json', '--otlp', 'http://localhost:4318'], {
      OTEL_EXPORTER_OTLP_TIMEOUT: '-1',
    });
    expect(timeout.code).toBe(2);
    expect(timeout.err).toMatch(
      /^toolflight gateway: OTEL_EXPORTER_OTLP_TIMEOUT must be a positive number of milliseconds up to 1000000000, got "-1"\nusage:/,
    );
  });

  it('needs --config, and answers --help with its usage', async () => {
    const missing = await refused([]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(
      /^toolflight gateway: give the mcpServers file: --config FILE\nusage:/,
    );
    const help = await refused(['--help']);
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/^usage: toolflight gateway --config FILE \[options\]/);
    expect(help.err).toBe('');
  });

  it('runs as the real bin until SIGTERM, then exits 0', async () => {
    const { dir, entries, env } = twoServers();
    const config = writeConfig(dir, 'mcp.json', entries);
    const bin = startBin(['gateway', '--config', config], { env });
    onTestFinished(async () => {
      bin.kill('SIGKILL');
      await bin.exit;
    });
    const [, url] = await bin.waitFor(/^toolflight gateway listening on (\S+)$/m);
    const [, credential] = await bin.waitFor(/^TOOLFLIGHT_GATEWAY_TOKEN=(\S+)$/m);
    const agent = new Client({ name: 'bin-agent', version: '1' });
    await agent.connect(agentTransport(url!, credential!));
    onTestFinished(() => agent.close());
    await expect(callText(agent, 'alpha__shout')).resolves.toEqual({
      text: 'alpha:shout',
      isError: false,
    });
    bin.kill('SIGTERM');
    expect((await bin.exit).code).toBe(0);
  });
});

/** `text` as a literal part of a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

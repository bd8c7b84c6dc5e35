import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runCli } from '../../src/cli/main.js';
import { raw, toolsCall } from '../mcp/support.js';
import { startHeldUpstream } from '../fixtures/proxy/heldUpstream.js';
import { httpUpstream, onCleanup, startProxyCli, stdioUpstream } from './support.js';

describe('toolflight proxy (CLI)', { timeout: 30_000 }, () => {
  it('prints the URL and an agent config whose credential is only in the environment line', async () => {
    const upstream = await httpUpstream(['echo']);
    const cli = await startProxyCli(['--upstream', upstream.url]);
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const config = JSON.parse(cli.out[2]!) as {
      mcpServers: { toolflight: { url: string; headers: Record<string, string> } };
    };
    expect(config.mcpServers.toolflight.url).toBe(cli.url);
    expect(config.mcpServers.toolflight.headers).toEqual({
      Authorization: 'Bearer ${TOOLFLIGHT_PROXY_TOKEN}',
    });
    expect(cli.out).toEqual([
      `toolflight proxy listening on ${cli.url}`,
      'agent config (--mcp-config), tracked as capture "proxy":',
      cli.out[2],
      'agent environment:',
      `TOOLFLIGHT_PROXY_TOKEN=${cli.credential}`,
    ]);
    expect(cli.out[2]).not.toContain(cli.credential);
    const agent = await cli.connect();
    await expect(
      agent.callTool({ name: 'echo', arguments: { text: 'cli' } }),
    ).resolves.toMatchObject({ structuredContent: { echoed: 'cli' } });
    await expect(cli.stop()).resolves.toBe(0);
  });

  it('warns when its --record file cannot be written, and keeps serving (issue 14 §4)', async () => {
    const upstream = await httpUpstream(['echo']);
    // /dev/full takes opening and refuses every write with ENOSPC, as a full disk does.
    const cli = await startProxyCli(['--upstream', upstream.url, '--record', '/dev/full']);
    expect(cli.err).toContain(
      'toolflight proxy: warning: the recording /dev/full cannot be written (cannot append event 1 to /dev/full: the disk is full); events are held in memory and written once it can be (free disk space)',
    );
    const agent = await cli.connect();
    await expect(
      agent.callTool({ name: 'echo', arguments: { text: 'still served' } }),
    ).resolves.toMatchObject({ structuredContent: { echoed: 'still served' } });
    await expect(cli.stop()).resolves.toBe(0);
  });

  it('prints a credential that admits its --capture key only (issue 14 §1)', async () => {
    const upstream = await httpUpstream(['echo']);
    const dir = await mkdtemp(join(tmpdir(), 'toolflight-proxy-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'run.jsonl');
    const cli = await startProxyCli([
      '--upstream',
      upstream.url,
      '--capture',
      'run-9',
      '--record',
      file,
    ]);
    expect(cli.out[1]).toBe('agent config (--mcp-config), tracked as capture "run-9":');
    expect(cli.out.some((line) => line.includes('CAPTURE_KEY'))).toBe(false);
    const agent = await cli.connect();
    await agent.callTool({ name: 'echo', arguments: { text: 'as run-9' } });
    const spoofed = await raw({ host: '127.0.0.1', port: Number(new URL(cli.url).port) } as never, {
      headers: {
        Authorization: `Bearer ${cli.credential}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'x-toolflight-capture-key': 'proxy',
      },
      body: toolsCall('echo', { text: 'as another run' }),
    });
    expect(spoofed.status).toBe(403);
    await cli.stop();
    const calls = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; capture?: string })
      .filter((event) => event.type === 'toolCall.started');
    expect(calls).toMatchObject([{ capture: 'run-9' }]);
    expect(upstream.runs.get('echo')).toBe(1);
  });

  it('hides tools with --hide, sends the --token-env token, and records with --record', async () => {
    const upstream = await httpUpstream(['echo', 'send_mail', 'delete_file']);
    upstream.token = 'upstream-secret';
    const dir = await mkdtemp(join(tmpdir(), 'toolflight-proxy-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'run.jsonl');
    const cli = await startProxyCli(
      [
        '--upstream',
        upstream.url,
        '--token-env',
        'UP_TOKEN',
        '--hide',
        'delete_*',
        '--hide',
        'send_mai?',
        '--record',
        file,
      ],
      { UP_TOKEN: 'upstream-secret' },
    );
    const agent = await cli.connect();
    expect((await agent.listTools()).tools.map((tool) => tool.name)).toEqual(['echo']);
    await agent.callTool({ name: 'echo', arguments: { text: 'rec' } });
    await cli.stop();
    const types = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toContain('toolCall.result');
  });

  it('ends a call the upstream never answers after --request-timeout-ms, with -32001', async () => {
    const upstream = await startHeldUpstream();
    onCleanup(() => upstream.stop());
    const cli = await startProxyCli(['--upstream', upstream.url, '--request-timeout-ms', '50']);
    const agent = await cli.connect();
    const cancelled = upstream.next('notifications/cancelled');
    const call = agent.callTool({ name: 'hold', arguments: {} }, undefined, { timeout: 60_000 });
    await expect(call).rejects.toMatchObject({ code: -32001, data: { timeout: 50 } });
    await expect(cancelled).resolves.toMatchObject({ params: { reason: /after \d+ ms/ } });
  });

  it('runs a stdio upstream after --', async () => {
    const { command, args } = stdioUpstream();
    const cli = await startProxyCli(['--', command, ...(args ?? [])]);
    const agent = await cli.connect();
    await expect(
      agent.callTool({ name: 'echo', arguments: { text: 'child' } }),
    ).resolves.toMatchObject({ structuredContent: { echoed: 'child' } });
  });

  it('refuses bad flags with a clear message and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [[], /exactly one upstream/],
      [['--upstream', 'http://x', '--', 'cmd'], /exactly one upstream/],
      [['--upstream', 'ftp://x'], /http\(s\) URL/],
      [['--upstream', 'http://x', '--port', 'abc'], /--port/],
      [['--upstream', 'http://x', '--token-env', 'not a name'], /--token-env/],
      [['--upstream', 'http://x', '--bogus'], /bogus/],
      [['--upstream', 'http://x', '--overwrite'], /--overwrite is for --record FILE/],
      [['--upstream', 'http://x', '--record', ''], /--record must name a file/],
      [
        ['--upstream', 'http://x', '--request-timeout-ms', '0'],
        /--request-timeout-ms must be a whole number of ms from 1 to 2147483647, got 0/,
      ],
      [['--upstream', 'http://x', '--request-timeout-ms', '1s'], /got "1s"/],
      [
        ['--upstream', 'http://x', '--capture', 'k'.repeat(257)],
        /--capture: capture key is 257 bytes/,
      ],
    ];
    for (const [args, message] of cases) {
      const err: string[] = [];
      const code = await runCli(['proxy', ...args], {
        out: () => undefined,
        err: (line) => void err.push(line),
      });
      expect(code, args.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(message);
    }
  });

  it('prints its usage on stdout for -h/--help, exit 0, without an upstream', async () => {
    for (const flag of ['--help', '-h']) {
      const out: string[] = [];
      const code = await runCli(['proxy', flag], {
        out: (line) => void out.push(line),
        err: () => undefined,
      });
      expect(code, flag).toBe(0);
      expect(out.join('\n')).toMatch(/^usage: toolflight proxy --upstream URL/);
    }
  });
});

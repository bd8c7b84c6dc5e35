// `toolflight proxy` through the real bin: the defects of issue 12 §7 that only show there, and
// the agent credential it prints (issue 14 §1).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, describe, expect, it } from 'vitest';

import { agentTransport, httpUpstream, onCleanup } from '../proxy/support.js';
import { startBin, type BinOptions, type RunningBin } from '../support/runBin.js';
import { freePort } from '../support/freePort.js';

const temp = mkdtempSync(join(tmpdir(), 'toolflight-proxy-bin-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A server holding a 127.0.0.1 port; closed after the test. */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

/** `toolflight proxy ARGS`, killed after the test if it still runs. */
function proxyBin(args: string[], options?: BinOptions): RunningBin {
  const bin = startBin(['proxy', ...args], options);
  onCleanup(async () => {
    bin.kill('SIGKILL');
    await bin.exit;
  });
  return bin;
}

/** Stop a running proxy as Ctrl-C would; resolves with its exit code. */
async function stop(bin: RunningBin): Promise<number | null> {
  bin.kill('SIGTERM');
  return (await bin.exit).code;
}

const LISTENING = /toolflight proxy listening on (\S+)\n/;

describe('toolflight proxy (the bin)', { timeout: 30_000 }, () => {
  it('listens on the --port given (issue 12 §7: --port N was ignored)', async () => {
    const upstream = await httpUpstream(['echo']);
    const port = await freePort();
    const bin = proxyBin(['--upstream', upstream.url, '--port', String(port)]);
    const [, url] = await bin.waitFor(LISTENING);
    expect(url).toBe(`http://127.0.0.1:${port}/mcp`);
    expect(await stop(bin)).toBe(0);
  });

  it('prints an agent config whose credential admits its --capture key, and an agent gets through with it', async () => {
    const upstream = await httpUpstream(['echo']);
    const bin = proxyBin(['--upstream', upstream.url, '--capture', 'bin-run']);
    const [, url] = await bin.waitFor(LISTENING);
    const [, credential] = await bin.waitFor(/^TOOLFLIGHT_PROXY_TOKEN=(\S+)$/m);
    expect(bin.stdout()).toContain('agent config (--mcp-config), tracked as capture "bin-run":\n');
    expect(bin.stdout()).not.toMatch(/CAPTURE_KEY|x-toolflight-capture-key/);
    const agent = new Client({ name: 'bin-agent', version: '1' });
    await agent.connect(agentTransport(url!, credential!));
    onCleanup(() => agent.close());
    await expect(
      agent.callTool({ name: 'echo', arguments: { text: 'via the bin' } }),
    ).resolves.toMatchObject({ structuredContent: { echoed: 'via the bin' } });
    expect(await stop(bin)).toBe(0);
  });

  it('says the --port is taken and what to do, exit 1', async () => {
    const upstream = await httpUpstream(['echo']);
    const { port } = await holdPort();
    const bin = proxyBin(['--upstream', upstream.url, '--port', String(port)]);
    const { code, stderr } = await bin.exit;
    expect(code).toBe(1);
    expect(stderr).toBe(
      `toolflight proxy: cannot listen on 127.0.0.1:${port} (EADDRINUSE): free the port, or pass another --port (0 picks a free one)\n`,
    );
  });

  it('refuses to --record over an existing recording in CLI terms, and replaces it with --overwrite', async () => {
    const upstream = await httpUpstream(['echo']);
    const file = join(temp, 'existing.jsonl');
    writeFileSync(file, '{"an":"old recording"}\n');
    const refused = await proxyBin(['--upstream', upstream.url, '--record', file]).exit;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^toolflight proxy: the recording ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already holds events: pass --overwrite to replace it, or --record a new file\n`,
      ),
    );
    expect(refused.stderr).not.toMatch(/mode/);
    expect(readFileSync(file, 'utf8')).toBe('{"an":"old recording"}\n');

    const bin = proxyBin(['--upstream', upstream.url, '--record', file, '--overwrite']);
    await bin.waitFor(LISTENING);
    expect(await stop(bin)).toBe(0);
    const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ seq: 1, type: 'capture.begun', capture: 'proxy' });
  });

  it('refuses an --otlp that is not an http(s) URL (exit 2), starting nothing', async () => {
    const { code, stdout, stderr } = await proxyBin([
      '--upstream',
      'http://127.0.0.1:1',
      '--otlp',
      'localhost:4318',
    ]).exit;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^toolflight proxy: --otlp: the OTLP endpoint must be an http\(s\) URL \(OTLP\/HTTP\), got a localhost: URL: for a collector on this machine, http:\/\/localhost:4318\nusage:/,
    );
  });

  it('refuses --overwrite without --record (exit 2)', async () => {
    const { code, stderr } = await proxyBin(['--upstream', 'http://127.0.0.1:1', '--overwrite'])
      .exit;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^toolflight proxy: --overwrite is for --record FILE/);
  });

  it('warns at start when --token-env names an unset variable, then says in a sentence that the credential was refused', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'the-right-token';
    const name = 'TOOLFLIGHT_TEST_UNSET_TOKEN';
    const bin = proxyBin(['--upstream', upstream.url, '--token-env', name], { unset: [name] });
    await bin.waitFor(/^upstream down: .*\n/m, 'stderr');
    expect(await stop(bin)).toBe(0);
    const lines = bin.stderr().trimEnd().split('\n');
    expect(lines[0]).toBe(
      `toolflight proxy: warning: $${name} is not set, so the upstream gets no token: set it (it is read on every request) or drop --token-env`,
    );
    expect(lines).toContain(
      "upstream down: the upstream refused the proxy's credential: HTTP 401 (bad upstream token); give the proxy a token it accepts (not retried until the next request)",
    );
    expect(bin.stderr()).not.toMatch(/[{}]|"kind"|retrying in/);
    expect(upstream.authorizations).toEqual(['']);
  });

  it('does not warn when the --token-env variable is set', async () => {
    const upstream = await httpUpstream(['echo']);
    upstream.token = 'the-right-token';
    const name = 'TOOLFLIGHT_TEST_SET_TOKEN';
    const bin = proxyBin(['--upstream', upstream.url, '--token-env', name], {
      env: { [name]: 'the-right-token' },
    });
    await bin.waitFor(/^upstream up\n/m, 'stderr');
    expect(await stop(bin)).toBe(0);
    expect(bin.stderr()).not.toMatch(/warning/);
  });

  it('ends quietly with exit 0 when nobody reads what it prints (| head), closing the proxy', async () => {
    const upstream = await httpUpstream(['echo']);
    const file = join(temp, 'closed-stdout.jsonl');
    const { code, stderr } = await proxyBin(['--upstream', upstream.url, '--record', file], {
      stdout: 'closed',
    }).exit;
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error/);
    // Closed cleanly: the recording is whole, down to the last line.
    expect(readFileSync(file, 'utf8')).toMatch(/\n$/);
  });
});

import { describe, expect, it } from 'vitest';

import { loopbackClientConfig, LoopbackError } from '../../src/mcp/index.js';
import { runNode } from '../support/runNode.js';
import { startHarness } from './support.js';

describe('loopbackClientConfig', () => {
  it('describes the server as an http mcpServers entry whose headers are ${ENV} placeholders', async () => {
    const h = await startHarness();
    const config = loopbackClientConfig(h.server, { capture: 'run-1', owner: false });
    expect(config.mcpServers).toEqual({
      toolflight: {
        type: 'http',
        url: h.server.url,
        headers: {
          Authorization: 'Bearer ${TOOLFLIGHT_MCP_TOKEN}',
          'x-toolflight-capture-key': '${TOOLFLIGHT_MCP_CAPTURE_KEY}',
        },
      },
    });
    expect(config.env).toEqual({
      TOOLFLIGHT_MCP_TOKEN: h.server.token('non-owner'),
      TOOLFLIGHT_MCP_CAPTURE_KEY: 'run-1',
    });
    expect(config.args).toEqual([
      '-c',
      `mcp_servers.toolflight.url=${JSON.stringify(h.server.url)}`,
      '-c',
      'mcp_servers.toolflight.bearer_token_env_var="TOOLFLIGHT_MCP_TOKEN"',
      '-c',
      'mcp_servers.toolflight.env_http_headers={ "x-toolflight-capture-key" = "TOOLFLIGHT_MCP_CAPTURE_KEY" }',
    ]);
  });

  it('puts a token only in env, never in the entry or the arguments', async () => {
    const h = await startHarness();
    for (const owner of [true, false]) {
      const config = loopbackClientConfig(h.server, { capture: 'run-1', owner, name: 'host' });
      const token = h.server.token(owner ? 'owner' : 'non-owner');
      expect(config.env.TOOLFLIGHT_MCP_TOKEN).toBe(token);
      const visible = JSON.stringify([config.mcpServers, config.args]);
      expect(visible).not.toContain(h.server.token('owner'));
      expect(visible).not.toContain(h.server.token('non-owner'));
    }
  });

  it('refuses an empty capture key, a bad name or a bad env prefix', async () => {
    const h = await startHarness();
    const bad = [
      { capture: '  ', owner: false },
      { capture: 'run-1', owner: false, name: 'has space' },
      { capture: 'run-1', owner: false, envPrefix: 'lower' },
    ];
    for (const options of bad) {
      expect(() => loopbackClientConfig(h.server, options)).toThrow(LoopbackError);
    }
  });

  // The agent is a child process that compiles TypeScript as it starts: slow under load.
  it('lets an agent process configured with it call tools, and the host wait for its run to go idle', async () => {
    const h = await startHarness();
    h.tracker.beginCapture('cli-run-7');
    const config = loopbackClientConfig(h.server, { capture: 'cli-run-7', owner: false });
    const argv = [
      '--import',
      'tsx',
      'test/fixtures/mcp/agentCli.ts',
      '--mcp-config',
      JSON.stringify({ mcpServers: config.mcpServers }),
      'echo',
      JSON.stringify({ text: 'from the agent' }),
    ];
    const { code, stdout, stderr } = await runNode(argv, config.env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      content: [{ type: 'text', text: '{"text":"from the agent"}' }],
    });
    expect(argv.join(' ')).not.toContain(config.env.TOOLFLIGHT_MCP_TOKEN);

    const idle = await h.tracker.waitForIdle('cli-run-7', { timeoutMs: 5000, admissionGraceMs: 0 });
    expect(idle).toBe(true);
    const calls = h.events().filter((event) => event.type === 'toolCall.result');
    expect(calls).toMatchObject([{ capture: 'cli-run-7', data: { outcome: 'completed' } }]);
  }, 30_000);
});

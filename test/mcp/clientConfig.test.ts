import { describe, expect, it } from 'vitest';

import { loopbackClientConfig, LoopbackError } from '../../src/mcp/index.js';
import { runNode } from '../support/runNode.js';
import { startHarness } from './support.js';

describe('loopbackClientConfig', () => {
  it('describes the server as an http mcpServers entry whose credential is an ${ENV} placeholder, with no capture header', async () => {
    const h = await startHarness();
    const config = loopbackClientConfig(h.server, { capture: 'run-1', owner: false });
    expect(config.mcpServers).toEqual({
      toolflight: {
        type: 'http',
        url: h.server.url,
        headers: { Authorization: 'Bearer ${TOOLFLIGHT_MCP_TOKEN}' },
      },
    });
    expect(config.env).toEqual({
      TOOLFLIGHT_MCP_TOKEN: h.server.credential({ capture: 'run-1', owner: false }),
    });
    expect(config.args).toEqual([
      '-c',
      `mcp_servers.toolflight.url=${JSON.stringify(h.server.url)}`,
      '-c',
      'mcp_servers.toolflight.bearer_token_env_var="TOOLFLIGHT_MCP_TOKEN"',
    ]);
  });

  it('puts the credential of its capture and role only in env, never in the entry or the arguments', async () => {
    const h = await startHarness();
    for (const owner of [true, false]) {
      const config = loopbackClientConfig(h.server, { capture: 'run-1', owner, name: 'host' });
      const credential = h.server.credential({ capture: 'run-1', owner });
      expect(config.env.TOOLFLIGHT_MCP_TOKEN).toBe(credential);
      const visible = JSON.stringify([config.mcpServers, config.args]);
      expect(visible).not.toContain(credential.split('.').at(-1));
    }
    const other = loopbackClientConfig(h.server, { capture: 'run-2', owner: false });
    expect(other.env.TOOLFLIGHT_MCP_TOKEN).toBe(
      h.server.credential({ capture: 'run-2', owner: false }),
    );
    expect(other.env.TOOLFLIGHT_MCP_TOKEN).not.toBe(
      h.server.credential({ capture: 'run-1', owner: false }),
    );
  });

  it('refuses an empty or overlong capture key, a bad name or a bad env prefix', async () => {
    const h = await startHarness();
    const bad = [
      { capture: '  ', owner: false },
      { capture: 'x'.repeat(257), owner: false },
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

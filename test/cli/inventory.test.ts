// `toolflight inventory RECORDING`: what a gateway's agents could use, read from its recording
// alone: servers with their state and tools, why one shows none, and a broken log said so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runCli } from '../../src/cli/main.js';
import type { Inventory } from '../../src/index.js';
import { callText } from '../gateway/support.js';
import { startGatewayCli, toolsOf, twoServers, writeConfig } from './gatewaySupport.js';

// Recordings and configs outlive the test that made them: they are read by the others.
const shared = mkdtempSync(join(tmpdir(), 'toolflight-inventory-'));
afterAll(() => rmSync(shared, { recursive: true, force: true }));

interface Recorded {
  readonly file: string;
  /** The entries the gateway ran with, as written (the memory server's `${VAR}` unexpanded). */
  readonly entries: Record<string, Record<string, unknown>>;
  readonly config: string;
}

let recording: Promise<Recorded> | undefined;

/**
 * A real gateway run recorded once: an agent listed both servers' tools and called one, then
 * the gateway stopped.
 */
function recorded(): Promise<Recorded> {
  recording ??= (async () => {
    const { entries, env } = twoServers();
    const config = writeConfig(shared, 'mcp.json', entries);
    const file = join(shared, 'gateway.jsonl');
    const cli = await startGatewayCli(['--config', config, '--record', file], env);
    const agent = await cli.connect();
    await toolsOf(agent, ['alpha', 'memory']);
    await callText(agent, 'alpha__greet');
    // The agent's list comes through its own sessions; each server's catalog is noted in the
    // log once the gateway's own session with it lists, which the gateway says on stderr.
    await cli.errLine(/^server alpha listed 2 tools$/);
    await cli.errLine(/^server memory listed \d+ tools$/);
    await agent.close();
    expect(await cli.stop()).toBe(0);
    return { file, entries, config };
  })();
  return recording;
}

/** `toolflight inventory ARGS` in-process: its exit code and what it printed. */
async function inventory(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['inventory', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err: err.join('\n') };
}

/** The `--json` inventory. */
async function inventoryJson(...args: string[]): Promise<Inventory> {
  const { code, out, err } = await inventory(...args, '--json');
  expect({ code, err, lines: out.length }).toEqual({ code: 0, err: '', lines: 1 });
  return JSON.parse(out[0]!) as Inventory;
}

/** A JSONL recording of `events` (seq and `v` filled in) in the shared folder. */
function handWritten(name: string, events: readonly Record<string, unknown>[]): string {
  const path = join(shared, name);
  const lines = events.map((event, n) =>
    JSON.stringify({ v: 1, seq: n + 1, at: 1000 * n, ...event }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('toolflight inventory', { timeout: 60_000 }, () => {
  it('shows each recorded server with its transport, state, catalog age and tools under their gateway names', async () => {
    const { file } = await recorded();
    const { code, out, err } = await inventory(file);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out[0]).toMatch(new RegExp(`^${escape(file)}: 2 servers, \\d+ tools, at seq \\d+$`));
    const alpha = out.indexOf('alpha (stdio)');
    const memory = out.indexOf('memory (stdio)');
    expect(alpha).toBeGreaterThan(0);
    expect(memory).toBeGreaterThan(alpha);
    const alphaBlock = out.slice(alpha, memory);
    expect(alphaBlock.slice(alphaBlock.indexOf('  tools (2):'))).toEqual([
      '  tools (2):',
      '    alpha__greet',
      '    alpha__shout',
      '',
    ]);
    expect(alphaBlock.some((line) => /^ {2}state: closed for \d/.test(line))).toBe(true);
    expect(alphaBlock.some((line) => /^ {2}catalog: listed, [\d.]+ (ms|s) old$/.test(line))).toBe(
      true,
    );
    expect(out.slice(memory)).toContain('    memory__read_graph');
  });

  it('prints the Inventory as one JSON line with --json', async () => {
    const { file } = await recorded();
    const found = await inventoryJson(file);
    expect(found.servers.map((server) => [server.server, server.transport, server.notice])).toEqual(
      [
        ['alpha', 'stdio', undefined],
        ['memory', 'stdio', undefined],
      ],
    );
    const names = found.tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['alpha__greet', 'alpha__shout', 'memory__read_graph']),
    );
    expect(found.tools.find((tool) => tool.name === 'alpha__greet')).toMatchObject({
      server: 'alpha',
      tool: 'greet',
    });
  });

  it('calls a server stale with --config when its entry changed, needing none of its ${VAR}s set', async () => {
    const { file, entries, config } = await recorded();
    // The memory entry names ${TOOLFLIGHT_TEST_MEMORY_FILE}, which this process does not have.
    expect(JSON.stringify(entries.memory)).toContain('${TOOLFLIGHT_TEST_MEMORY_FILE}');
    const same = await inventoryJson(file, '--config', config);
    expect(same.servers.map((server) => server.notice)).toEqual([undefined, undefined]);

    const memory = entries.memory!;
    const changed = writeConfig(shared, 'changed.json', {
      ...entries,
      memory: { ...memory, args: [...(memory.args as string[]), '--changed'] },
    });
    const stale = await inventoryJson(file, '--config', changed);
    expect(stale.servers.map((server) => [server.server, server.notice])).toEqual([
      ['alpha', undefined],
      ['memory', 'mcp-stale-catalog'],
    ]);
    expect(stale.tools.every((tool) => tool.server === 'alpha')).toBe(true);
    const { out } = await inventory(file, '--config', changed);
    expect(out).toContain(
      '  notice: mcp-stale-catalog: its configuration changed since it listed its tools: they are not served until it lists again',
    );
  });

  it('leaves out --hide tools by gateway name', async () => {
    const { file } = await recorded();
    const found = await inventoryJson(file, '--hide', 'memory__*', '--hide', 'alpha__sh?ut');
    expect(found.tools.map((tool) => tool.name)).toEqual(['alpha__greet']);
  });

  it('stops the fold at --until SEQ: right after the gateway was configured, nothing had connected', async () => {
    const { file } = await recorded();
    const configured = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string })
      .find((event) => event.type === 'gateway.configured')!;
    const found = await inventoryJson(file, '--until', String(configured.seq));
    expect(found.servers.map((server) => [server.server, server.state, server.notice])).toEqual([
      ['alpha', 'never', 'mcp-not-yet-connected'],
      ['memory', 'never', 'mcp-not-yet-connected'],
    ]);
    const { out } = await inventory(file, '--until', String(configured.seq));
    expect(out).toEqual(
      expect.arrayContaining([
        '  state: never started',
        '  notice: mcp-not-yet-connected: it never connected, so its tools are not known yet',
        '  tools: none',
      ]),
    );
  });

  it('says a recording without any MCP server has none (a loopback run)', async () => {
    const { code, out, err } = await inventory('test/fixtures/quiet-run.jsonl');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toEqual([
      expect.stringMatching(
        /^test\/fixtures\/quiet-run\.jsonl: no MCP servers in this recording \(read to seq \d+\): record a gateway with `toolflight gateway --record FILE`$/,
      ),
    ]);
  });

  it('shows the servers a plain proxy recording names, with their state and masked reasons', async () => {
    const file = handWritten('proxy.jsonl', [
      { type: 'upstream.changed', data: { server: 'upstream', state: 'connecting' } },
      {
        type: 'upstream.changed',
        data: {
          server: 'upstream',
          state: 'connecting',
          stderr: 'GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 rejected',
        },
      },
      {
        type: 'upstream.changed',
        data: {
          server: 'upstream',
          state: 'down',
          reason: 'HTTP 401: Authorization: Bearer sk-live-abcdefghijklmnopqrstuvwxyz',
          retryInMs: 5000,
        },
      },
    ]);
    const { code, out, err } = await inventory(file);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out.slice(2)).toEqual([
      'upstream (seen in the log)',
      '  state: down for 0 ms',
      expect.stringMatching(/^ {2}reason: HTTP 401: Authorization: /),
      '  next try in 5.0 s',
      '  stderr:',
      expect.stringMatching(/^ {4}GITHUB_TOKEN=/),
      '  notice: mcp-not-yet-connected: it never connected, so its tools are not known yet',
      '  tools: none',
    ]);
    const printed = out.join('\n');
    expect(printed).not.toContain('sk-live-abcdefghijklmnopqrstuvwxyz');
    expect(printed).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    const json = await inventoryJson(file);
    expect(JSON.stringify(json)).not.toMatch(/sk-live-|ghp_abcdef/);
  });

  describe('a recording it cannot read whole', () => {
    it('a malformed line: the file and line, exit 1, the rest still shown', async () => {
      const { file } = await recorded();
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const broken = join(shared, 'malformed.jsonl');
      writeFileSync(broken, [lines[0], '{"seq": oops', ...lines.slice(1)].join('\n') + '\n');
      const { code, out, err } = await inventory(broken);
      expect(code).toBe(1);
      expect(err).toContain(`${broken}:2`);
      expect(err).toMatch(/the log is broken: 1 unreadable line/);
      expect(out).toContain('alpha (stdio)');
    });

    it('a truncated last line: said so, exit 1', async () => {
      const { file } = await recorded();
      const text = readFileSync(file, 'utf8');
      const truncated = join(shared, 'truncated.jsonl');
      writeFileSync(truncated, text.slice(0, text.length - 20));
      const { code, err } = await inventory(truncated);
      expect(code).toBe(1);
      expect(err).toMatch(/truncated|unfinished/);
      expect(err).toMatch(/the log is broken: 1 unreadable line/);
    });

    it('a file that is not there: exit 1, as replay', async () => {
      const missing = join(shared, 'none.jsonl');
      const { code, err } = await inventory(missing);
      expect(code).toBe(1);
      expect(err).toBe(`toolflight inventory: cannot read the recording ${missing}: no such file`);
    });
  });

  it('refuses bad arguments with exit 2: no recording, a bad --until, a bad --config', async () => {
    const none = await inventory();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^toolflight inventory: give exactly one recording file\nusage:/);
    const until = await inventory('x.jsonl', '--until', '0');
    expect(until.code).toBe(2);
    expect(until.err).toMatch(
      /^toolflight inventory: --until takes a seq \(a positive integer\), got "0"/,
    );
    const bad = writeConfig(shared, 'bad.json', '{ "mcpServers": { "a": { "command": 3 } } }');
    const config = await inventory('test/fixtures/quiet-run.jsonl', '--config', bad);
    expect(config.code).toBe(2);
    expect(config.err).toBe(
      `toolflight inventory: ${bad}: mcpServers.a.command: must be a string, got 3`,
    );
  });

  it('answers --help with its usage', async () => {
    const { code, out, err } = await inventory('--help');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out.join('\n')).toMatch(/^usage: toolflight inventory RECORDING \[--config FILE\]/);
  });
});

/** `text` as a literal part of a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

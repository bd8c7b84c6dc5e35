import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { runCli } from '../src/cli/main.js';
import { decodeEvent } from '../src/index.js';
import type { CliIo } from '../src/cli/io.js';
import { runNode } from './support/runNode.js';

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

// Tests write under a temp folder, never into the repository (`recordings/` is the user's).
const temp = mkdtempSync(join(tmpdir(), 'toolflight-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('toolflight CLI', () => {
  it('prints usage and exits 2 without a command', async () => {
    const io = captureIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/usage: toolflight <command>/);
  });

  it('prints usage and exits 0 for --help', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(
      /demo\s+run scripted agents against a live loopback MCP server/,
    );
  });

  it('names an unknown command and exits 2', async () => {
    const io = captureIo();
    expect(await runCli(['__proto__'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/^toolflight: unknown command "__proto__"\n\nusage:/);
  });

  it('rejects an unknown demo flag with exit 2', async () => {
    const io = captureIo();
    expect(await runCli(['demo', '--turbo'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/toolflight demo: Unknown option '--turbo'/);
  });

  it('refuses a demo --otlp that is not an http(s) URL with exit 2, before the run starts', async () => {
    const io = captureIo();
    expect(await runCli(['demo', '--otlp', 'localhost:4318'], io)).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr[0]).toMatch(
      /^toolflight demo: --otlp: the OTLP endpoint must be an http\(s\) URL \(OTLP\/HTTP\), got a localhost: URL.*\nusage: toolflight demo /,
    );
  });

  // A child process that compiles TypeScript as it starts: slow on a loaded machine, not stuck.
  it('runs the demo as a real process: a loopback server, SDK agents over HTTP, idle true, a recording', async () => {
    // A folder that does not exist yet: the demo creates it.
    const recording = join(temp, 'new-folder', 'demo.jsonl');
    const { code, stdout, stderr } = await runNode([
      '--import',
      'tsx',
      'src/cli/main.ts',
      'demo',
      '--record',
      recording,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/on http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(stdout).toMatch(/waitForIdle\(\{"timeoutMs":5000,"admissionGraceMs":250\}\) -> true/);
    expect(stdout).toMatch(/request\.classified rq_\d+\s+tools\/call/);
    expect(stdout).toMatch(/observer\.failed\s+tc_\d+\s+onToolCallResult/);
    expect(stdout.match(/toolCall\.finished/g)).toHaveLength(7);
    expect(stdout.match(/tc_\d+ delete_branch\s+blocked\s+false/g)).toHaveLength(2);
    // A cancellation can overtake its call (two POSTs): then the call is cancelled unprepared.
    expect(stdout).toMatch(/tc_\d+ search\s+cancelled\s+(true|false)/);
    expect(stdout).toMatch(/tc_\d+ send\s+failed\s+true\s+\d+ ms\s+channel is archived/);
    expect(stdout).toMatch(/final projection: "demo-run" gen 1 · in flight 0/);
    const written = /wrote (.+) \((\d+) events\)/.exec(stdout);
    expect(written?.[1]).toBe(recording);
    const lines = readFileSync(recording, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(Number(written?.[2]));
    expect(
      lines.map((line, i) => decodeEvent(line, { source: 'demo.jsonl', line: i + 1 }).seq),
    ).toEqual(lines.map((_, i) => i + 1));
  }, 30_000);
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

import { runCli } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

describe('toolflight CLI', () => {
  it('prints usage and exits 2 without a command', async () => {
    const io = captureIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/usage: toolflight <command>/);
  });

  it('prints usage and exits 0 for --help', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/demo\s+run a scripted agent/);
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

  it('runs the demo as a real process: a live timeline, idle true, every call finished', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo'], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/waitForIdle\(\{"timeoutMs":5000,"admissionGraceMs":250\}\) -> true/);
    expect(stdout).toMatch(/observer\.failed\s+tc_3\s+onToolCallResult/);
    expect(stdout.match(/toolCall\.finished/g)).toHaveLength(5);
    expect(stdout).toMatch(/tc_4 delete_branch\s+blocked\s+false/);
    expect(stdout).toMatch(/"inFlight": 0/);
  });
});

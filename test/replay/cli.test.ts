import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { createTracker } from '../../src/index.js';
import { createJsonlStore, createSqliteStore } from '../../src/store/index.js';

const fixture = (name: string) => new URL(`../fixtures/${name}.jsonl`, import.meta.url).pathname;

async function cli(...args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
  const code = await runCli(args, io);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('toolflight replay', () => {
  it('prints one aligned line per event with the machine state after it, then the live projection', async () => {
    const { code, stdout, stderr } = await cli('replay', fixture('reused-key'));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^\s+1\s+\+0 ms\s+capture\.begun\s+run-1#1\s+active$/);
    expect(lines[8]).toMatch(
      /^\s+9\s+\+20 ms\s+toolCall\.result\s+tc_2\s+run-1#2\s+started \(resulted\)\s+completed$/,
    );
    expect(stdout).toMatch(
      /17 events, last seq 17; live at the end:\n {2}run-1 gen 2: in flight 2 · activity 6/,
    );
    expect(stdout).toMatch(/tc_3\s+send\s+started/);
  });

  it('stops at --until and filters by --capture', async () => {
    const until = await cli('replay', fixture('reused-key'), '--until', '4');
    expect(until.stdout.split('\n').filter((l) => /^\s+\d+\s+\+/.test(l))).toHaveLength(4);
    expect(until.stdout).toMatch(/run-1 gen 1: in flight 2/);
    const none = await cli('replay', fixture('reused-key'), '--capture', 'other');
    expect(none.stdout).toMatch(
      /^\n17 events, last seq 17; live at the end:\n {2}\(nothing live\)$/,
    );
  });

  it('prints a JSON document with --json', async () => {
    const { stdout } = await cli('replay', fixture('quiet-run'), '--json');
    const parsed = JSON.parse(stdout) as {
      events: number;
      violations: unknown[];
      captures: { inFlight: number }[];
    };
    expect(parsed).toMatchObject({ events: 13, lastSeq: 13, violations: [], problems: [] });
    expect(parsed.captures[0]?.inFlight).toBe(0);
  });

  it('replays an SQLite event store file too', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-cli-')), 'run.db');
    const store = createSqliteStore(path);
    const tracker = createTracker({ store });
    tracker.beginCapture('db-run');
    tracker.requestStarted('db-run');
    store.close();
    const { code, stdout } = await cli('replay', path);
    expect(code).toBe(0);
    expect(stdout).toMatch(/db-run gen 1: in flight 1/);
  });

  it('exits 1 on a broken log, naming the line, the seq and the rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-cli-'));
    const path = join(dir, 'broken.jsonl');
    const lines = readFileSync(fixture('quiet-run'), 'utf8').trimEnd().split('\n');
    // Drop seq 5 (a gap), and cut the last line short.
    const broken = [...lines.slice(0, 4), ...lines.slice(5, -1), lines.at(-1)!.slice(0, 30)];
    writeFileSync(path, broken.join('\n'));
    const { code, stdout, stderr } = await cli('replay', path);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /!! seq 6 \(toolCall\.finished tc_1\): seq jumps from 4 to 6: 1 event is missing/,
    );
    expect(stderr).toMatch(/broken\.jsonl:12: the last line is unfinished/);
    // The file's fifth line holds seq 6, the event after the gap.
    expect(stderr).toMatch(
      /broken\.jsonl:5: seq 6 \(toolCall\.finished tc_1\): seq jumps from 4 to 6/,
    );
    expect(stderr).toMatch(/the log is broken: 1 unreadable line, 1 machine violation/);
  });

  it('shows tool names, arguments and note contents (bug: rows showed only ids and states)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-cli-')), 'notes.jsonl');
    const store = createJsonlStore(path);
    const tracker = createTracker({ store });
    tracker.beginCapture('run-1');
    tracker.note('upstream.changed', { server: 'relay', state: 'down', reason: 'refused' });
    tracker.note('catalog.listed', {
      server: 'relay',
      tools: [{ name: 'send' }],
      fingerprint: 'f',
    });
    tracker.toolCallStarted({
      capture: 'run-1',
      toolName: 'send',
      args: { to: '#ops', token: 'hunter2' },
    });
    store.close();
    const { code, stdout } = await cli('replay', path);
    expect(code).toBe(0);
    expect(stdout).toMatch(/upstream\.changed\s+relay down \(refused\)$/m);
    expect(stdout).toMatch(/catalog\.listed\s+relay: 1 tool\(s\)$/m);
    expect(stdout).toMatch(
      /toolCall\.started\s+tc_1\s+run-1#1\s+started\s+send \{"to":"#ops","token":"••••••"\}$/m,
    );
    expect(stdout).not.toMatch(/hunter2/);
  });

  it('rejects bad flags with usage and exit 2', async () => {
    expect((await cli('replay')).code).toBe(2);
    expect((await cli('replay', 'a', 'b')).stderr).toMatch(/give exactly one recording file/);
    for (const bad of ['abc', '0', '1.5', '--until=-3']) {
      const args = bad.startsWith('--') ? [bad] : ['--until', bad];
      const until = await cli('replay', fixture('quiet-run'), ...args);
      expect(until.code).toBe(2);
      expect(until.stderr).toMatch(/--until takes a seq \(a positive integer\), got "/);
    }
    expect((await cli('replay', fixture('quiet-run'), '--colour')).stderr).toMatch(
      /Unknown option '--colour'/,
    );
  });

  it('exits 1 with a clear message for a path that does not exist', async () => {
    const { code, stderr } = await cli('replay', 'nowhere.jsonl');
    expect(code).toBe(1);
    expect(stderr).toBe('toolflight replay: cannot read the recording nowhere.jsonl: no such file');
  });
});

describe('toolflight verify', () => {
  it('says a valid recording is valid', async () => {
    const { code, stdout } = await cli('verify', fixture('observer-throws'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/observer-throws\.jsonl: 15 events, seq 1 to 15: valid$/);
  });

  it('lists what a broken recording breaks and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-cli-'));
    const path = join(dir, 'twice.jsonl');
    copyFileSync(fixture('quiet-run'), path);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const finished = lines[5]!.replace('"seq":6', '"seq":14');
    writeFileSync(path, `${lines.join('\n')}\n${finished}\n`);
    const { code, stderr } = await cli('verify', path, '--json');
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /twice\.jsonl:14: seq 14 \(toolCall\.finished tc_1\): tc_1 finished at seq 6; nothing follows a finish/,
    );
  });

  it('reports lastSeq as the last seq read, as replay does (bug: verify said the last accepted)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-cli-'));
    const path = join(dir, 'twice.jsonl');
    const lines = readFileSync(fixture('quiet-run'), 'utf8').trimEnd().split('\n');
    // The last event, seq 14, repeats a finish: it is read and refused.
    writeFileSync(path, `${lines.join('\n')}\n${lines[5]!.replace('"seq":6', '"seq":14')}\n`);
    const verified = JSON.parse((await cli('verify', path, '--json')).stdout) as object;
    const replayed = JSON.parse((await cli('replay', path, '--json')).stdout) as object;
    expect(verified).toMatchObject({ events: 13, lastSeq: 14, valid: false, violationCount: 1 });
    expect(replayed).toMatchObject({ events: 13, lastSeq: 14, violationCount: 1 });
  });

  it('keeps the first 1000 violations of a log that breaks on every line, and counts them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-cli-'));
    const path = join(dir, 'flood.jsonl');
    const lines = readFileSync(fixture('quiet-run'), 'utf8').trimEnd().split('\n');
    const repeated = Array.from({ length: 1500 }, (_, i) =>
      lines[5]!.replace('"seq":6', `"seq":${14 + i}`),
    );
    writeFileSync(path, `${[...lines, ...repeated].join('\n')}\n`);
    const { code, stdout, stderr } = await cli('verify', path, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { violations: unknown[]; violationCount: number };
    expect(report.violations).toHaveLength(1000);
    expect(report.violationCount).toBe(1500);
    expect(stderr.split('\n')).toHaveLength(20 + 2);
    expect(stderr).toMatch(
      /… and 1480 more\n.*flood\.jsonl: the log is broken: 0 unreadable lines, 1500 machine violations$/,
    );
  });

  it('says an empty recording is valid without a seq range', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-cli-')), 'empty.jsonl');
    writeFileSync(path, '');
    const { code, stdout } = await cli('verify', path);
    expect(code).toBe(0);
    expect(stdout).toMatch(/empty\.jsonl: 0 events: valid$/);
  });
});

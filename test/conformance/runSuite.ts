// Run the conformance suite (server mode, `--suite all`) against one URL and read what it found,
// scenario by scenario, from the checks.json files it writes (`--output-dir`), cross-checked
// with the summary it prints: a scenario that crashed the runner has a summary line and no file.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cleanEnv, type Runner } from './installRunner.js';

/** One check of a scenario, as the runner reports it. */
export interface Check {
  readonly id: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  readonly description?: string;
  readonly errorMessage?: string;
}

/**
 * A scenario's outcome: `failed` (a FAILURE check), `skipped` (no check succeeded or failed:
 * nothing was tested, say for want of a session id), `warned` (passed with a WARNING), `passed`.
 */
export type ScenarioStatus = 'passed' | 'warned' | 'skipped' | 'failed';

/** What the suite found for one scenario. */
export interface ScenarioResult {
  readonly status: ScenarioStatus;
  readonly checks: readonly Check[];
}

/** The whole run: results by scenario name, and what the runner printed. */
export interface SuiteRun {
  readonly scenarios: ReadonlyMap<string, ScenarioResult>;
  readonly output: string;
}

/** How the checks of one scenario add up. */
export function statusOf(checks: readonly Check[]): ScenarioStatus {
  if (checks.some((check) => check.status === 'FAILURE')) return 'failed';
  if (!checks.some((check) => check.status === 'SUCCESS')) return 'skipped';
  if (checks.some((check) => check.status === 'WARNING')) return 'warned';
  return 'passed';
}

/** `server-<scenario>-<ISO time with : and . as ->`, as the runner names its folders. */
const FOLDER = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
/** `✓ name: 2 passed, 0 failed` in the summary. */
const SUMMARY = /^[✓✗] (\S+): \d+ passed, \d+ failed$/u;

/** Run every server scenario against `url` (exit 1 just means some failed). */
export async function runSuite(runner: Runner, url: string): Promise<SuiteRun> {
  const outDir = await mkdtemp(join(tmpdir(), 'toolflight-conformance-'));
  try {
    const child = spawn(
      runner.node,
      [runner.cli, 'server', '--url', url, '--suite', 'all', '--output-dir', outDir],
      { cwd: outDir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    const summary = output.slice(output.lastIndexOf('=== SUMMARY ==='));
    const names = summary.split('\n').flatMap((line) => SUMMARY.exec(line.trim())?.[1] ?? []);
    if ((code !== 0 && code !== 1) || names.length === 0) {
      throw new Error(`the conformance runner against ${url} exited with ${code}:\n${output}`);
    }
    const files = new Map<string, Check[]>();
    for (const folder of await readdir(outDir)) {
      const name = FOLDER.exec(folder)?.[1];
      if (name === undefined) continue;
      const text = await readFile(join(outDir, folder, 'checks.json'), 'utf8');
      files.set(name, JSON.parse(text) as Check[]);
    }
    const scenarios = new Map<string, ScenarioResult>();
    for (const name of names) {
      const checks = files.get(name) ?? [
        { id: name, status: 'FAILURE', errorMessage: 'the runner failed to run this scenario' },
      ];
      scenarios.set(name, { status: statusOf(checks), checks });
    }
    return { scenarios, output };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

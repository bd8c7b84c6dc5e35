import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { get, openSse } from './support.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'quiet-run.jsonl');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Start `toolflight ARGS` and resolve with the URL it prints; `output()` is stdout so far. */
async function startCli(
  args: string[],
): Promise<{ child: ChildProcess; url: URL; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<URL>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match) resolve(new URL(match[1]!));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing a URL: ${out}`)));
  });
  return { child, url, output: () => out };
}

/** Resolves once the child's stdout contains `text`. */
function printed(child: ChildProcess, output: () => string, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!output().includes(text)) return;
      child.stdout!.off('data', check);
      resolve();
    };
    child.stdout!.on('data', check);
    check();
  });
}

describe('toolflight inspect', () => {
  it('serves a recording on 127.0.0.1 behind the printed token, and stops on SIGTERM', async () => {
    const { child, url } = await startCli(['inspect', FIXTURE]);
    expect(url.hostname).toBe('127.0.0.1');
    expect((await get(url.href)).status).toBe(200);
    expect((await get(url.origin)).status).toBe(401);
    const stream = await openSse(`${url.origin}/events${url.search}`);
    await stream.until((frame) => frame.event === 'live');
    stream.close();
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  }, 60_000);

  it('demo --inspect waits for the page, streams the run live, then keeps serving it', async () => {
    // A temp recording: the test must not overwrite the user's recordings/demo.jsonl.
    const record = join(mkdtempSync(join(tmpdir(), 'toolflight-demo-')), 'demo.jsonl');
    const { child, url, output } = await startCli(['demo', '--inspect', '--record', record]);
    const stream = await openSse(`${url.origin}/events${url.search}`);
    // The demo's last event: its capture is cleared once the run is over.
    await stream.until((frame) => frame.data.includes('"capture.cleared"'));
    const finished = stream.frames.filter((frame) => frame.data.includes('"toolCall.finished"'));
    expect(finished.length).toBeGreaterThanOrEqual(6);
    await printed(child, output, 'keeps serving the run');
    expect(output()).toContain('waiting for the page to connect');
    stream.close();
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  }, 60_000);

  it('refuses --follow without a file', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'inspect', '--follow'],
      { cwd: join(import.meta.dirname, '..', '..'), stdio: 'ignore' },
    );
    children.push(child);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
  }, 60_000);
});

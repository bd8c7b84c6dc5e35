// The CLI defects of issue 12 §7, each through the real bin in a child process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createJsonlStore } from '../../src/store/index.js';
import { runBin, startBin } from '../support/runBin.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'quiet-run.jsonl');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

const temp = mkdtempSync(join(tmpdir(), 'toolflight-bin-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

// Each case starts a child that compiles TypeScript as it loads: slow on a loaded machine.
describe('toolflight (the bin)', { timeout: 30_000 }, () => {
  it.each(['--version', '-v'])('prints the package version for %s and exits 0', async (flag) => {
    const { code, stdout, stderr } = await runBin([flag]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it.each([
    'demo',
    'replay',
    'verify',
    'otel',
    'inspect',
    'proxy',
    'gateway',
    'inventory',
    'outbox',
    'diagrams',
  ])(
    'answers `%s --help` with its usage on stdout and exit 0, starting nothing',
    async (command) => {
      const { code, stdout, stderr } = await runBin([command, '--help']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^usage: toolflight ${command}\\b`));
    },
  );

  it('answers `proxy -h` with its usage too, though proxy parses its own flags', async () => {
    const { code, stdout } = await runBin(['proxy', '-h']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: toolflight proxy --upstream URL/);
    expect(stdout).toMatch(/--overwrite/);
  });
});

describe(
  'a closed stdout ends the command quietly with exit 0 (issue 12 §7: EPIPE stack trace)',
  {
    timeout: 30_000,
  },
  () => {
    it('diagrams | head: no EPIPE stack, exit 0', async () => {
      const { code, stderr } = await runBin(['diagrams'], { stdout: 'closed' });
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });

    it('replay FILE | head: no EPIPE stack, exit 0', async () => {
      const { code, stderr } = await runBin(['replay', FIXTURE], { stdout: 'closed' });
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });

    it('replay FILE | head -1 on a recording longer than the pipe holds: exit 0 after the first line', async () => {
      // About 400 KB of timeline: the child is still writing when its reader goes away.
      const file = join(temp, 'long.jsonl');
      const store = createJsonlStore(file);
      const tracker = createTracker({ store });
      tracker.beginCapture('long');
      for (let i = 0; i < 1500; i++) {
        const request = tracker.requestStarted('long');
        tracker.requestClassified(request, { method: 'tools/list' });
        tracker.requestFinished(request, { status: 200 });
      }
      store.close();
      const { code, stdout, stderr } = await runBin(['replay', file], { stdout: 'first-line' });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\s+1\s.*capture\.begun/);
    });

    it('inspect FILE, which runs until Ctrl-C, ends with exit 0 when nobody reads its URL', async () => {
      const { code, stderr } = await runBin(['inspect', FIXTURE], { stdout: 'closed' });
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });
  },
);

describe('diagrams --check, for someone using the installed bin', { timeout: 30_000 }, () => {
  it('says the folder does not exist and how to write it, instead of "stale … commit the result"', async () => {
    const missing = join(temp, 'no-such-dir');
    const { code, stdout, stderr } = await runBin(['diagrams', '--out', missing, '--check']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `toolflight diagrams: ${missing} is not a folder: --check compares the diagrams with those already written there; write them first with \`toolflight diagrams --out ${missing}\`\n`,
    );
  });

  it('names the stale and missing files, and says how to rewrite them with the bin and in the repository', async () => {
    const dir = join(temp, 'diagrams');
    expect((await runBin(['diagrams', '--out', dir])).code).toBe(0);
    rmSync(join(dir, 'request.md'));
    writeFileSync(join(dir, 'capture.md'), 'edited by hand\n');
    const { code, stderr } = await runBin(['diagrams', '--out', dir, '--check']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      [
        `toolflight diagrams: the diagrams in ${dir} do not match the machines; stale: ${join(dir, 'capture.md')}; missing: ${join(dir, 'request.md')}`,
        `write them again with \`toolflight diagrams --out ${dir}\` (in the toolflight repository: \`npm run diagrams\`) and commit the result`,
        '',
      ].join('\n'),
    );
  });
});

describe('inspect --host', { timeout: 30_000 }, () => {
  it('refuses a non-loopback host as a usage error (exit 2) before starting anything', async () => {
    const { code, stdout, stderr } = await runBin(['inspect', FIXTURE, '--host', '0.0.0.0']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^toolflight inspect: --host must be 127\.0\.0\.1, localhost or ::1, got "0\.0\.0\.0": the inspector serves recordings to this machine only\n/,
    );
  });

  it('serves on an accepted loopback host (localhost)', async () => {
    const bin = startBin(['inspect', FIXTURE, '--host', 'localhost']);
    const [, url] = await bin.waitFor(/open (http:\/\/\S+)/);
    expect(new URL(url!).hostname).toMatch(/^(127\.0\.0\.1|localhost)$/);
    bin.kill('SIGTERM');
    expect((await bin.exit).code).toBe(0);
  });
});

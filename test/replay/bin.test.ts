// `toolflight replay` and `verify` through the real bin, in a child process.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runNode } from '../support/runNode.js';

const bin = (...args: string[]) => runNode(['--import', 'tsx', 'src/cli/main.ts', ...args]);
const fixture = (name: string) => new URL(`../fixtures/${name}.jsonl`, import.meta.url).pathname;

// Each case starts Node with tsx, a second or two apiece on a busy machine.
describe('toolflight replay and verify, as a process', { timeout: 30_000 }, () => {
  it('name the file and line of every finding, and exit 1', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-bin-')), 'broken.jsonl');
    const lines = readFileSync(fixture('quiet-run'), 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${[...lines.slice(0, 4), ...lines.slice(5)].join('\n')}\n`);
    for (const command of ['verify', 'replay']) {
      const { code, stderr } = await bin(command, path);
      expect(code).toBe(1);
      expect(stderr).toContain(
        `${path}:5: seq 6 (toolCall.finished tc_1): seq jumps from 4 to 6: 1 event is missing`,
      );
    }
  });

  it('replay prints what each event carried', async () => {
    const { code, stdout } = await bin('replay', fixture('quiet-run'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/toolCall\.started\s+tc_1\s+run-1#1\s+started\s+\S+ \{/);
  });
});

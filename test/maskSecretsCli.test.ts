// What the CLI prints: stderr (warnings, errors, logger lines quoting upstream errors) is masked
// by the process's own io; stdout carries what the operator asked for and is not (the agent
// config with its secret, the inspector URL with its token, outbox keys for `retry`).
import { describe, expect, it } from 'vitest';

import { runNode } from './support/runNode.js';

describe("the CLI's process io", () => {
  it('masks secrets in what goes to stderr and leaves stdout as the command wrote it', async () => {
    const script = [
      "const { processIo } = await import('./src/cli/io.ts');",
      'const io = processIo();',
      "io.err('toolflight proxy: upstream down: HTTP 401 for Authorization: Bearer abc123');",
      "io.err('mcp-git stderr: GITHUB_TOKEN=ghp_short');",
      "io.out('open http://127.0.0.1:4000/?token=abc123');",
    ].join('\n');
    const { code, stdout, stderr } = await runNode([
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe(
      [
        'toolflight proxy: upstream down: HTTP 401 for Authorization: Bearer ••••••',
        'mcp-git stderr: GITHUB_TOKEN=••••••',
        '',
      ].join('\n'),
    );
    expect(stdout).toBe('open http://127.0.0.1:4000/?token=abc123\n');
  }, 30_000);

  it('Seen: an escape sequence in a server stderr line or a recording reached the terminal', async () => {
    const script = [
      "const { processIo } = await import('./src/cli/io.ts');",
      'const io = processIo();',
      // A window title, then a cleared line, from what a server wrote.
      "io.err('server fs down: stderr: \\u001b]0;owned\\u0007ok\\u001b[2K');",
      "io.out('fs\\u009b31m\\tup');",
    ].join('\n');
    const { code, stdout, stderr } = await runNode([
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('server fs down: stderr: \\u{1b}]0;owned\\u{7}ok\\u{1b}[2K\n');
    expect(stdout).toBe('fs\\u{9b}31m\tup\n');
  }, 30_000);
});

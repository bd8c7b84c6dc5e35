import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

import { requestMachine, toMermaid } from '../machines/index.js';
import { renderDiagramFiles } from '../src/cli/diagrams.js';
import { runCli } from '../src/cli/main.js';

describe('diagrams', () => {
  it('renders a machine as a Mermaid state diagram with its events, guards and finals', () => {
    expect(toMermaid(requestMachine)).toBe(
      [
        'stateDiagram-v2',
        '  direction LR',
        '  [*] --> started',
        '  started --> classified : CLASSIFY',
        '  started --> finished : FINISH',
        '  classified --> finished : FINISH',
        '  finished --> [*]',
        '',
      ].join('\n'),
    );
  });

  it('commits diagrams/ exactly as machines/ renders them (run `npm run diagrams`)', async () => {
    for (const [name, text] of renderDiagramFiles()) {
      const committed = await readFile(new URL(`../diagrams/${name}`, import.meta.url), 'utf8');
      expect(committed, `diagrams/${name} is stale`).toBe(text);
    }
  });

  it('fails --check on a missing directory naming the file, and prints without --out', async () => {
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line) };
    const missing = new URL('./no-such-dir', import.meta.url).pathname;
    expect(await runCli(['diagrams', '--out', missing, '--check'], io)).toBe(1);
    expect(lines.join('\n')).toMatch(
      /no-such-dir is not a folder: --check compares .*toolflight diagrams --out .*no-such-dir/,
    );
    lines.length = 0;
    expect(await runCli(['diagrams'], io)).toBe(0);
    expect(lines.join('\n')).toMatch(/stateDiagram-v2/);
    expect(await runCli(['diagrams', '--check'], io)).toBe(2);
  });
});

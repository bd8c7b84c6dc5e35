import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

import { requestMachine, toMermaid } from '../machines/index.js';
import { renderDiagrams } from '../scripts/renderDiagrams.js';

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
    for (const [name, text] of renderDiagrams()) {
      const committed = await readFile(new URL(`../diagrams/${name}`, import.meta.url), 'utf8');
      expect(committed, `diagrams/${name} is stale`).toBe(text);
    }
  });
});

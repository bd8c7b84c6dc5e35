// Renders every machine in machines/ to diagrams/<id>.md (a Mermaid block).
// `npm run diagrams` writes them; `npm run diagrams -- --check` fails when one is stale.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { renderDiagrams } from './renderDiagrams.js';

const DIR = join(import.meta.dirname, '..', 'diagrams');

async function main(): Promise<number> {
  let check: boolean;
  try {
    check = parseArgs({ options: { check: { type: 'boolean' } } }).values.check === true;
  } catch (error) {
    console.error(`diagrams: ${(error as Error).message} (usage: npm run diagrams [-- --check])`);
    return 2;
  }
  await mkdir(DIR, { recursive: true });
  const stale: string[] = [];
  for (const [name, text] of renderDiagrams()) {
    const file = join(DIR, name);
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === text) continue;
    if (check) stale.push(file);
    else {
      await writeFile(file, text);
      console.log(`wrote ${file}`);
    }
  }
  if (stale.length > 0) {
    console.error(
      `diagrams are stale: ${stale.join(', ')}\nrun \`npm run diagrams\` and commit the result`,
    );
    return 1;
  }
  return 0;
}

process.exitCode = await main();

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  captureMachine,
  requestMachine,
  toMermaid,
  toolCallMachine,
} from '../../machines/index.js';
import type { Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';

const USAGE = 'usage: toolflight diagrams [--out DIR] [--check]';

/** The diagram files for toolflight's machines: file name -> Markdown with one Mermaid block. */
export function renderDiagramFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const machine of [captureMachine, requestMachine, toolCallMachine]) {
    files.set(
      `${machine.id}.md`,
      [
        '<!-- Generated from machines/ by `npm run diagrams`. Do not edit by hand. -->',
        '',
        `# ${machine.id}`,
        '',
        '```mermaid',
        toMermaid(machine).trimEnd(),
        '```',
        '',
      ].join('\n'),
    );
  }
  return files;
}

/** Whether `dir` is a folder that exists. */
const isFolder = (dir: string): Promise<boolean> =>
  stat(dir).then(
    (found) => found.isDirectory(),
    () => false,
  );

/**
 * `toolflight diagrams [--out DIR] [--check]`: the machines as Mermaid state diagrams.
 * Without `--out` they print; with it they are written there, or with `--check` compared
 * (exit 1 when a file is stale or missing, or DIR is not a folder).
 */
export const diagrams: Command = async (args, io) => {
  const parsed = parseCommandArgs('diagrams', USAGE, io, {
    args: [...args],
    options: { out: { type: 'string' }, check: { type: 'boolean' } },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const files = renderDiagramFiles();
  if (values.out === undefined) {
    if (values.check) {
      io.err(`toolflight diagrams: --check needs --out DIR, the folder to compare with\n${USAGE}`);
      return 2;
    }
    for (const text of files.values()) {
      if (io.stdoutClosed?.aborted) break;
      io.out(text);
    }
    return 0;
  }
  const dir = values.out;
  const write = `\`toolflight diagrams --out ${dir}\``;
  if (values.check && !(await isFolder(dir))) {
    io.err(
      `toolflight diagrams: ${dir} is not a folder: --check compares the diagrams with those already written there; write them first with ${write}`,
    );
    return 1;
  }
  if (!values.check) await mkdir(dir, { recursive: true });
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [name, text] of files) {
    const file = join(dir, name);
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === text) continue;
    if (values.check) (current === undefined ? missing : stale).push(file);
    else {
      await writeFile(file, text);
      io.out(`wrote ${file}`);
    }
  }
  if (stale.length + missing.length > 0) {
    const found = [
      stale.length > 0 ? `stale: ${stale.join(', ')}` : '',
      missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
    ].filter(Boolean);
    io.err(
      `toolflight diagrams: the diagrams in ${dir} do not match the machines; ${found.join('; ')}\n` +
        `write them again with ${write} (in the toolflight repository: \`npm run diagrams\`) and commit the result`,
    );
    return 1;
  }
  return 0;
};

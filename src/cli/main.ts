#!/usr/bin/env node
// The toolflight command line: `toolflight <command> [options]`.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { demo } from './demo.js';
import { diagrams } from './diagrams.js';
import { processIo, type CliIo, type Command } from './io.js';

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  demo: {
    run: demo,
    summary: 'run a scripted agent against a live tracker and print its timeline',
  },
  diagrams: {
    run: diagrams,
    summary: 'print the machines as Mermaid diagrams (--out DIR writes them, --check compares)',
  },
};

const USAGE = [
  'usage: toolflight <command> [options]',
  '',
  'commands:',
  ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)}${summary}`),
  '',
  'options:',
  '  -h, --help  show this help',
].join('\n');

/** Run the CLI with `args` (without node and the script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    if (name === undefined) {
      io.err(USAGE);
      return 2;
    }
    io.out(USAGE);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`toolflight: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.err(`toolflight ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

const invoked = process.argv[1] && realpathSync(process.argv[1]);
if (invoked && invoked === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await runCli(process.argv.slice(2));
}

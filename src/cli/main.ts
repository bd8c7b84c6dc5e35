#!/usr/bin/env node
// The toolflight command line: `toolflight <command> [options]`.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { ToolflightError } from '../errors.js';
import { demo } from './demo.js';
import { diagrams } from './diagrams.js';
import { gateway } from './gateway.js';
import { inspect } from './inspect.js';
import { inventory } from './inventory.js';
import { otel } from './otel.js';
import { outbox } from './outbox.js';
import { proxy } from './proxy.js';
import { replay } from './replay.js';
import { verify } from './verify.js';
import { processIo, type CliIo, type Command } from './io.js';

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  demo: {
    run: demo,
    summary: 'run scripted agents against a live loopback MCP server and print the timeline',
  },
  replay: {
    run: replay,
    summary:
      'print a recording as a timeline and its final projection (--until, --capture, --json)',
  },
  verify: { run: verify, summary: 'check every event of a recording against the machines' },
  otel: {
    run: otel,
    summary: 'export a recording to an OpenTelemetry collector over OTLP/HTTP (--endpoint URL)',
  },
  inspect: {
    run: inspect,
    summary: 'serve the inspector page over a recording (--follow tails it) until Ctrl-C',
  },
  proxy: {
    run: proxy,
    summary: 'a tracked MCP endpoint in front of --upstream URL or -- COMMAND ARGS (until Ctrl-C)',
  },
  gateway: {
    run: gateway,
    summary: "one tracked MCP endpoint in front of an mcpServers file's servers (until Ctrl-C)",
  },
  inventory: {
    run: inventory,
    summary: "a gateway recording's servers, their state and tools (--config, --until, --json)",
  },
  outbox: {
    run: outbox,
    summary: 'list, retry or drop the entries of a proxy outbox file (list|retry|drop FILE [KEY…])',
  },
  diagrams: {
    run: diagrams,
    summary: 'print the machines as Mermaid diagrams (--out DIR writes them, --check compares)',
  },
};

/** The summaries' column: past the longest command name. */
const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;

const USAGE = [
  'usage: toolflight <command> [options]',
  '',
  'commands:',
  ...Object.entries(COMMANDS).map(
    ([name, { summary }]) => `  ${name.padEnd(NAME_WIDTH)}${summary}`,
  ),
  '',
  '`toolflight COMMAND --help` shows the options of a command.',
  '',
  'options:',
  '  -h, --help     show this help',
  '  -v, --version  print the version',
].join('\n');

/**
 * toolflight's version, from the first package.json named toolflight above this module: it is
 * `src/cli/` in the repository and `dist/src/cli/` in the installed package.
 */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ;) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'toolflight' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No readable package.json here: look one folder up.
    }
    const parent = new URL('..', dir);
    if (parent.href === dir.href) return 'unknown';
    dir = parent;
  }
}

/** Run the CLI with `args` (without node and the script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = args;
  if (name === '-v' || name === '--version') {
    io.out(packageVersion());
    return 0;
  }
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
    const code = await command.run(rest, io);
    // Nobody reads the output any more (`| head`): that is how such a run ends, not a failure.
    return io.stdoutClosed?.aborted ? 0 : code;
  } catch (error) {
    // Typed errors say what to do; anything else is a bug, worth its stack.
    const detail =
      error instanceof ToolflightError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    io.err(`toolflight ${name}: ${detail}`);
    return 1;
  }
}

const invoked = process.argv[1] && realpathSync(process.argv[1]);
if (invoked && invoked === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await runCli(process.argv.slice(2));
}

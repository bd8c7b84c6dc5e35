import { parseArgs, type ParseArgsConfig } from 'node:util';

import type { CliIo } from './io.js';

type WithHelp<T extends ParseArgsConfig> = T & {
  options: NonNullable<T['options']> & { help: { type: 'boolean'; short: 'h' } };
};

/**
 * Parse a command's arguments, `-h`/`--help` included. Returns the parsed arguments, or the
 * exit code to end the command with: 0 after printing the usage to stdout for `--help`, 2
 * after printing `toolflight NAME: reason` and the usage to stderr for a bad flag.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  name: string,
  usage: string,
  io: CliIo,
  config: T,
): ReturnType<typeof parseArgs<WithHelp<T>>> | number {
  const withHelp = {
    ...config,
    options: { ...config.options, help: { type: 'boolean', short: 'h' } },
  } as WithHelp<T>;
  let parsed: ReturnType<typeof parseArgs<WithHelp<T>>>;
  try {
    parsed = parseArgs(withHelp);
  } catch (error) {
    io.err(`toolflight ${name}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    io.out(usage);
    return 0;
  }
  return parsed;
}

import { parseArgs, type ParseArgsConfig } from 'node:util';

import type { CliIo } from './io.js';

/**
 * Parse a command's arguments; on a bad flag, print `toolflight NAME: reason` and the usage to
 * stderr and return undefined (the command then exits 2).
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  name: string,
  usage: string,
  io: CliIo,
  config: T,
): ReturnType<typeof parseArgs<T>> | undefined {
  try {
    return parseArgs(config);
  } catch (error) {
    io.err(`toolflight ${name}: ${(error as Error).message}\n${usage}`);
    return undefined;
  }
}

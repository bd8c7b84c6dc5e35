import { messageOf } from '../errors.js';
import type { StoreHealth } from '../index.js';
import type { CliIo } from './io.js';

/**
 * The `onStoreError` of a command that records: a warning on stderr when the recording starts
 * failing, and when events start being lost, in a sentence that says what to do.
 */
export function storeWarning(
  io: CliIo,
  command: string,
  file: string,
): (error: unknown, health: StoreHealth) => void {
  return (error, { unwritten, lost }) =>
    io.err(
      lost === 0
        ? `${command}: warning: the recording ${file} cannot be written (${messageOf(error)}); events are held in memory and written once it can be (free disk space)`
        : `${command}: warning: the recording ${file} is losing events (${lost} so far, ${unwritten} held): it will say where with a log.gap once it can be written`,
    );
}

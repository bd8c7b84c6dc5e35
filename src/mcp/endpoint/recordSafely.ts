// @internal The one way a server path records into the tracker: a failure there (a store that
// cannot write, a refused command that threw) is logged, never thrown into the request.
import { messageOf } from '../../errors.js';
import type { Logger } from '../../logger.js';

/**
 * Run a tracker command for `what` (an event type or a short noun: "a request"); when it
 * throws, tell `logger` that toolflight could not record it and carry on.
 */
export function recordSafely(
  logger: Logger | undefined,
  what: string,
  command: () => unknown,
): void {
  try {
    command();
  } catch (error) {
    logger?.warn(`toolflight could not record ${what}: ${messageOf(error)}`);
  }
}

// @internal What the commands that run an endpoint until Ctrl-C (`proxy`, `gateway`) share: the
// `--record FILE` recording, the words for a port they cannot listen on, and how they wait.
import { messageOf } from '../errors.js';
import { createTracker, ToolflightError, type EventStore, type Tracker } from '../index.js';
import { createJsonlStore } from '../store/index.js';
import type { CliIo, Command } from './io.js';
import { followWithOtlp, type OtlpFollower, type OtlpOption } from './otel.js';
import { storeWarning } from './storeWarning.js';
import { untilInterrupted } from './untilInterrupted.js';

/**
 * The recording for `--record FILE`; a file that already holds events is refused in the CLI's
 * own terms (`usage` builds the command's usage error), not the library's (its `mode` option).
 */
export function openRecording(
  record: string | undefined,
  overwrite: boolean,
  usage: (message: string) => Error,
): EventStore | undefined {
  if (record === undefined) return undefined;
  try {
    return createJsonlStore(record, { mode: overwrite ? 'overwrite' : 'create' });
  } catch (error) {
    // In `create` mode the only invalid argument is a file that already holds events.
    if (!(error instanceof ToolflightError) || error.code !== 'invalid_argument') throw error;
    throw usage(
      `the recording ${record} already holds events: pass --overwrite to replace it, or --record a new file`,
    );
  }
}

/**
 * The command's tracker, into `--record`'s store when given (its failures warned about on
 * stderr), and the `--otlp` export following it; the store is closed when the export cannot
 * start.
 */
export async function commandTracker(
  io: CliIo,
  command: 'proxy' | 'gateway',
  recording: { readonly store: EventStore | undefined; readonly path: string | undefined },
  otlp: OtlpOption | undefined,
): Promise<{ readonly tracker: Tracker; readonly otlp: OtlpFollower | undefined }> {
  const { store, path } = recording;
  const tracker = createTracker(
    store === undefined
      ? {}
      : { store, onStoreError: storeWarning(io, `toolflight ${command}`, path ?? '') },
  );
  if (otlp === undefined) return { tracker, otlp: undefined };
  try {
    return { tracker, otlp: await followWithOtlp(command, otlp, tracker, io) };
  } catch (error) {
    store?.close();
    throw error;
  }
}

/** Why listening failed: the socket error's code (`EADDRINUSE`, `EACCES`) or its message. */
export function listenFailure(error: Error): string {
  const cause = error.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : messageOf(cause ?? error);
}

/** Resolves once nobody reads stdout any more (`| head` ended), or never without the signal. */
export function stdoutGone(io: CliIo): Promise<void> {
  const closed = io.stdoutClosed;
  return new Promise<void>((resolve) => {
    if (closed?.aborted) resolve();
    else closed?.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * A command that runs until SIGINT or SIGTERM, then closes cleanly. It stops listening for them
 * when it returns for any other reason (bad flags, say): a listener left behind per run would
 * pile up in a host that runs the command more than once.
 */
export function untilCtrlC(
  run: (args: readonly string[], io: CliIo, stop: Promise<unknown>) => Promise<number>,
): Command {
  return async (args, io) => {
    const done = new AbortController();
    try {
      return await run(args, io, untilInterrupted(done.signal));
    } finally {
      done.abort();
    }
  };
}

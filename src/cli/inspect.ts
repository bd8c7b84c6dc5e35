import { messageOf, ToolflightError } from '../errors.js';
import { createTracker } from '../index.js';
import {
  createInspector,
  createStatelyOutput,
  type Inspector,
  type StatelyOutput,
} from '../inspector/index.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';
import { announce } from './announce.js';
import { untilInterrupted } from './untilInterrupted.js';
import { loopbackAddress } from '../http/loopbackHosts.js';
import { inspectStream, isNatsUrl, parseNatsUrl } from './natsLog.js';

const USAGE = [
  'usage: toolflight inspect [FILE] [--follow] [--port N] [--host 127.0.0.1|localhost|::1] [--stately ws://HOST:PORT]',
  '       toolflight inspect nats://[USER:PASS@]HOST:PORT/STREAM [--capture KEY] [--prefix P] [--port N] [--host 127.0.0.1|localhost|::1]',
  '',
  'A nats:// URL shows the fleet that ships to a JetStream stream, live: a host column and',
  "filter, each host's in-flight and idle, time travel over the merged log. --host is the",
  'address the inspector listens on, as for a file.',
].join('\n');

/** Parse `--port`; undefined when absent, NaN when not a port. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : NaN;
}

/** Parse `--stately`; undefined when absent, '' when not a ws:// or wss:// URL. */
export function parseStatelyUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'ws:' || url.protocol === 'wss:' ? url.href : '';
  } catch {
    return '';
  }
}

/** The message for a `--stately` value that is not a WebSocket URL. */
export const STATELY_URL_HINT =
  '--stately takes a WebSocket URL: ws://HOST:PORT or wss://HOST:PORT (e.g. ws://localhost:8080 from @statelyai/inspect/server)';

/**
 * Wait for the first attempt to connect to Stately; false (after printing why and what to do,
 * and closing the output) when it could not connect.
 */
export async function reachedStately(
  io: CliIo,
  command: string,
  stately: StatelyOutput,
): Promise<boolean> {
  const connection = await stately.connected();
  if (connection.state === 'open') return true;
  stately.close();
  const reason = 'reason' in connection ? ` (${connection.reason})` : '';
  io.err(
    `toolflight ${command}: could not connect to Stately at ${stately.url}${reason}: start a Stately inspector server there (createInspectorServer from @statelyai/inspect/server), or pass the --stately URL of one that runs`,
  );
  return false;
}

export { announce } from './announce.js';

/** `toolflight inspect [FILE] [--follow]`: the inspector page over a recording, until Ctrl-C. */
export const inspect: Command = async (args, io) => {
  const parsed = parseCommandArgs('inspect', USAGE, io, {
    args: [...args],
    allowPositionals: true,
    options: {
      follow: { type: 'boolean', short: 'f' },
      port: { type: 'string' },
      host: { type: 'string' },
      stately: { type: 'string' },
      capture: { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  const { capture, prefix } = parsed.values;
  if (file !== undefined && isNatsUrl(file)) {
    const target = parseNatsUrl(file);
    const wrong =
      typeof target === 'string'
        ? target
        : extra.length > 0
          ? 'one stream at most'
          : parsed.values.follow || parsed.values.stately !== undefined
            ? 'a nats:// stream is always followed, and --stately takes a FILE'
            : Number.isNaN(parsePort(parsed.values.port))
              ? '--port takes a number from 0 to 65535'
              : parsed.values.host !== undefined &&
                  loopbackAddress(parsed.values.host) === undefined
                ? `--host must be 127.0.0.1, localhost or ::1, got ${JSON.stringify(parsed.values.host)}`
                : undefined;
    if (wrong !== undefined || typeof target === 'string') {
      io.err(`toolflight inspect: ${wrong}\n${USAGE}`);
      return 2;
    }
    try {
      return await inspectStream(target, { capture, prefix }, io, {
        port: parsePort(parsed.values.port),
        host: parsed.values.host,
      });
    } catch (error) {
      if (!(error instanceof ToolflightError)) throw error;
      io.err(`toolflight inspect: ${messageOf(error)}`);
      return 1;
    }
  }
  if (capture !== undefined || prefix !== undefined) {
    io.err(`toolflight inspect: --capture and --prefix are for a nats:// stream\n${USAGE}`);
    return 2;
  }
  const port = parsePort(parsed.values.port);
  if (extra.length > 0 || Number.isNaN(port) || (parsed.values.follow && !file)) {
    io.err(
      `toolflight inspect: ${extra.length ? 'one FILE at most' : Number.isNaN(port) ? '--port takes a number from 0 to 65535' : '--follow needs a FILE to follow'}\n${USAGE}`,
    );
    return 2;
  }
  const host = parsed.values.host;
  // The inspector's own rule, checked before anything starts: loopback only.
  if (host !== undefined && loopbackAddress(host) === undefined) {
    io.err(
      `toolflight inspect: --host must be 127.0.0.1, localhost or ::1, got ${JSON.stringify(host)}: the inspector serves recordings to this machine only\n${USAGE}`,
    );
    return 2;
  }
  const statelyUrl = parseStatelyUrl(parsed.values.stately);
  if (statelyUrl === '' || (statelyUrl && !file)) {
    io.err(
      `toolflight inspect: ${statelyUrl === '' ? STATELY_URL_HINT : '--stately needs a FILE to replay'}\n${USAGE}`,
    );
    return 2;
  }
  let stately: StatelyOutput | undefined;
  if (statelyUrl && file) {
    // The recording as it is now is replayed once; later --follow appends go to the page only.
    const log = openCliLog(file, io);
    try {
      stately = await createStatelyOutput({ url: statelyUrl, source: { events: log.events } });
    } catch (error) {
      io.err(`toolflight inspect: ${messageOf(error)}`);
      return 1;
    } finally {
      log.done();
    }
    if (!(await reachedStately(io, 'inspect', stately))) return 1;
    io.out(`sent ${stately.sent()} Stately messages to ${stately.url}`);
  }
  const logger = { warn: (message: string) => io.err(`toolflight inspect: ${message}`) };
  const options = { port, host, logger };
  let inspector: Inspector;
  try {
    inspector = file
      ? await createInspector({ recording: file, follow: parsed.values.follow }, options)
      : await createInspector(
          { tracker: createTracker(), title: 'drop a .jsonl recording' },
          options,
        );
  } catch (error) {
    // An open socket to Stately would keep the process alive after the error.
    stately?.close();
    throw error;
  }
  // Listen before printing: whoever reads the URL may signal at once.
  const interrupted = untilInterrupted(io.stdoutClosed);
  announce(
    io,
    inspector,
    file
      ? `${parsed.values.follow ? 'following' : 'showing'} ${file}`
      : 'no file: load a recording in the page (file input or drag-and-drop)',
  );
  await interrupted;
  stately?.close();
  await inspector.close();
  return 0;
};

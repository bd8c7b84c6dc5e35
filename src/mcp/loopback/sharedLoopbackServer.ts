// The one loopback server a process shares: `ensureLoopbackServer` starts it on first use,
// `closeLoopbackServer` stops it. Module state, but nothing is created until `ensure` is called.
import { createLoopbackServer } from './createLoopbackServer.js';
import { LoopbackError } from './LoopbackError.js';
import type { LoopbackServer, LoopbackServerOptions } from './LoopbackServer.js';

/** The shared server's state: running, starting, or being closed. */
const shared: {
  /** The running server. */
  current: LoopbackServer | undefined;
  /** The start in progress; every concurrent `ensure` waits on this one promise. */
  starting: Promise<LoopbackServer> | undefined;
  /** The close in progress; an `ensure` meanwhile waits for it, then starts afresh. */
  closing: Promise<void> | undefined;
} = { current: undefined, starting: undefined, closing: undefined };

function sameTracker(server: LoopbackServer, options: LoopbackServerOptions): LoopbackServer {
  if (server.tracker !== options.tracker) {
    throw new LoopbackError(
      'tracker_mismatch',
      'the shared loopback server tracks into another tracker: pass the same tracker to every ensureLoopbackServer call, or use createLoopbackServer for a separate one',
    );
  }
  return server;
}

async function start(options: LoopbackServerOptions): Promise<LoopbackServer> {
  const server = await createLoopbackServer(options);
  shared.current = server;
  return server;
}

/**
 * Start the process's shared loopback server on first use, and return it afterwards.
 *
 * Concurrent callers share one start. When a start fails, every caller waiting on it gets the
 * same error and the next call tries again. The options of the call that starts the server are
 * used; later calls must pass the same tracker (change tools with `setTools`). A call made while
 * `closeLoopbackServer` runs waits for it and then starts a new server.
 *
 * @example
 * const server = await ensureLoopbackServer({ tracker, tools });
 */
export async function ensureLoopbackServer(
  options: LoopbackServerOptions,
): Promise<LoopbackServer> {
  for (;;) {
    if (shared.closing) {
      await shared.closing;
      continue;
    }
    if (shared.current) return sameTracker(shared.current, options);
    shared.starting ??= start(options).finally(() => {
      shared.starting = undefined;
    });
    const server = await shared.starting;
    // Closed while it was starting: start again rather than hand out a closed server.
    if (shared.current === server && !shared.closing) return sameTracker(server, options);
  }
}

/**
 * Close the shared loopback server, if one is running or starting: its SSE streams end, its
 * credential key is forgotten (credentials it minted stop working: mint new ones on the next
 * server), and the next `ensureLoopbackServer` starts a new server. Resolves once the port is free; a no-op when nothing runs.
 */
export async function closeLoopbackServer(): Promise<void> {
  if (shared.closing) return shared.closing;
  const starting = shared.starting;
  const closing = (async () => {
    // A start in progress is let finish, then closed; a failed start has nothing to close.
    const server = shared.current ?? (await starting?.catch(() => undefined));
    shared.current = undefined;
    await server?.close();
  })();
  shared.closing = closing.finally(() => {
    shared.closing = undefined;
  });
  return shared.closing;
}

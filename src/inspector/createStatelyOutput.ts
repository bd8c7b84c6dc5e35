import type * as StatelyInspect from '@statelyai/inspect';

import { ToolflightError } from '../errors.js';
import type { ToolflightEvent } from '../events/types.js';
import type { Tracker } from '../tracker/Tracker.js';
import { createStatelyMapper } from './statelyMessages.js';

/** Messages held while the socket connects (the package drops the oldest beyond this). */
const MAX_DEFERRED = 100_000;

/** Where the Stately messages come from: a recording to replay, a live tracker, or both. */
export interface StatelyOutputSource {
  /** Events replayed first, in seq order (a recording, or a tracker's history). */
  readonly events?: Iterable<ToolflightEvent>;
  /** A live tracker: every event it publishes from now on is sent too. */
  readonly tracker?: Pick<Tracker, 'subscribe'>;
}

/** Options for `createStatelyOutput`. */
export interface StatelyOutputOptions {
  /** The WebSocket to send to (`ws://` or `wss://`), e.g. `@statelyai/inspect/server`'s. */
  readonly url: string;
  readonly source: StatelyOutputSource;
}

/**
 * The socket to Stately: `connecting` until an attempt ends; `open`; `failed` when an attempt
 * could not connect (nothing listens there, for example; the next attempt is 5 s later);
 * `closed` once an open socket closed, or `close()` was called.
 */
export type StatelyConnection =
  | { readonly state: 'connecting' | 'open' }
  | { readonly state: 'failed' | 'closed'; readonly reason: string };

/** A running Stately output. */
export interface StatelyOutput {
  readonly url: string;
  /**
   * How many inspection messages were written to the open socket so far. Messages made while
   * it is not open are held (up to 100,000) and counted when it opens.
   */
  readonly sent: () => number;
  /** The socket now. */
  readonly connection: () => StatelyConnection;
  /**
   * Resolves once the first attempt to connect ends: with `open` (every message held so far was
   * written), or `failed` and why. Await it before saying the messages were sent.
   */
  readonly connected: () => Promise<StatelyConnection>;
  /** Stop following the tracker and close the socket. */
  readonly close: () => void;
}

/** How long after a failed connect the next attempt starts (the package's own delay). */
const RETRY_MS = 5000;

/** The part of the package's socket used here (isomorphic-ws, i.e. `ws`, on Node). */
interface SocketLike {
  readonly addEventListener: (
    type: 'open' | 'error' | 'close',
    listener: (event: { readonly message?: unknown }) => void,
  ) => void;
}

/**
 * Own the sockets of `@statelyai/inspect` 0.7.2's WebSocket adapter: `watch` each one it opens,
 * and keep its own error handler off them. That handler retries 5 s after a failed connect on a
 * timer nobody can cancel, forever, even once stopped, which holds the process open; the output
 * retries on a timer of its own instead. This reaches into the adapter's `ws` field and each
 * socket's `onerror`: the package has no hook for either.
 */
function ownSockets(adapter: object, watch: (ws: SocketLike) => void): void {
  let socket: SocketLike | undefined;
  Object.defineProperty(adapter, 'ws', {
    configurable: true,
    get: () => socket,
    set: (ws: SocketLike | undefined) => {
      socket = ws;
      if (!ws) return;
      Object.defineProperty(ws, 'onerror', { configurable: true, get: () => null, set: () => {} });
      watch(ws);
    },
  });
}

/** Throws unless `url` is a `ws://` or `wss://` URL; returns it normalised. */
function checkUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
    throw new ToolflightError(
      'invalid_argument',
      `Stately URL "${url}" is not a WebSocket URL: pass ws://HOST:PORT or wss://HOST:PORT`,
    );
  }
  return parsed.href;
}

/**
 * Send toolflight's lifecycle to a Stately inspector as `@statelyai/inspect` WebSocket messages:
 * each capture generation, request and tool call is an actor (`toolflight:tc_4`, its parent the
 * request or capture), each accepted transition an event and a snapshot with the machine state.
 * `@statelyai/inspect` is an optional peer dependency, loaded only here.
 *
 * @example
 * const stately = await createStatelyOutput({ url: 'ws://localhost:8080', source: { tracker } });
 * // ... later
 * stately.close();
 */
export async function createStatelyOutput(options: StatelyOutputOptions): Promise<StatelyOutput> {
  const url = checkUrl(options.url);
  let stately: typeof StatelyInspect;
  try {
    stately = await import('@statelyai/inspect');
  } catch (error) {
    throw new ToolflightError(
      'missing_peer',
      'the Stately output needs the optional peer @statelyai/inspect: npm install @statelyai/inspect',
      { cause: error },
    );
  }
  const inspector = stately.createWebSocketInspector({
    url,
    maxDeferredEvents: MAX_DEFERRED,
    autoStart: false,
  });
  let connection: StatelyConnection = { state: 'connecting' };
  let sent = 0;
  /** Messages held by the package until the socket opens (it writes them all on open). */
  let held = 0;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let firstAttempt!: (connection: StatelyConnection) => void;
  const connected = new Promise<StatelyConnection>((resolve) => (firstAttempt = resolve));
  const become = (next: StatelyConnection) => {
    connection = next;
    if (next.state !== 'connecting') firstAttempt(next);
  };
  ownSockets(inspector.adapter, (ws) => {
    become({ state: 'connecting' });
    ws.addEventListener('open', () => {
      // The package's `onopen`, right after this listener, writes every held message.
      sent += held;
      held = 0;
      become({ state: 'open' });
    });
    ws.addEventListener('error', (event) => {
      if (connection.state === 'connecting') {
        const why = typeof event.message === 'string' ? event.message : '';
        become({ state: 'failed', reason: why || 'the connection failed' });
      }
      if (closed) return;
      retry = setTimeout(() => inspector.start(), RETRY_MS);
      // A retry alone does not keep the process alive.
      retry.unref();
    });
    ws.addEventListener('close', () => {
      if (connection.state === 'open') {
        become({ state: 'closed', reason: 'Stately closed the connection' });
      }
    });
  });
  inspector.start();
  const map = createStatelyMapper();
  // Sent through the adapter as built: `inspector.actor` drops `parentId` for string ids
  // (`info?.parentId ?? typeof actorRef === 'string' ? …` in 0.7.2).
  const send = (event: ToolflightEvent) => {
    for (const message of map(event)) {
      inspector.adapter.send(message satisfies StatelyInspect.StatelyInspectionEvent);
      if (connection.state === 'open') sent += 1;
      else held = Math.min(held + 1, MAX_DEFERRED);
    }
  };
  for (const event of options.source.events ?? []) send(event);
  const unsubscribe = options.source.tracker?.subscribe(send);
  return {
    url,
    sent: () => sent,
    connection: () => connection,
    connected: () => connected,
    close: () => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      clearTimeout(retry);
      // Closing a socket that is still connecting fails it: the error listener then sees `closed`.
      inspector.stop();
      if (connection.state !== 'failed') become({ state: 'closed', reason: 'closed by the host' });
    },
  };
}

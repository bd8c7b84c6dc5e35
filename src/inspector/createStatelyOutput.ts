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

/** A running Stately output. */
export interface StatelyOutput {
  readonly url: string;
  /** How many inspection messages were handed to the socket so far. */
  readonly sent: () => number;
  /** Stop following the tracker and close the socket. */
  readonly close: () => void;
}

/** The part of the package's socket that `disarm` touches (isomorphic-ws, i.e. `ws`, on Node). */
interface SocketLike {
  onerror: unknown;
  close: () => void;
}

/**
 * After `stop()`, keep `@statelyai/inspect` 0.7.2's WebSocket adapter from reconnecting: on a
 * failed connect it retries every 5 s forever, even once stopped, which would hold the process
 * open. This reaches into its private `ws` field; any socket a pending retry opens is closed.
 */
function stopForGood(inspector: { adapter: object; stop: () => void }): void {
  const quiet = (ws: SocketLike | undefined) => {
    if (!ws) return;
    // Closing a socket that is still connecting emits 'error'; without this it would retry.
    ws.onerror = () => {};
    ws.close();
  };
  const internals = inspector.adapter as { ws?: SocketLike };
  if (internals.ws) internals.ws.onerror = () => {};
  inspector.stop();
  const sink = { onopen: null, onclose: null, onerror: null, onmessage: null, close: () => {} };
  Object.defineProperty(inspector.adapter, 'ws', {
    configurable: true,
    get: () => sink,
    set: quiet,
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
  const inspector = stately.createWebSocketInspector({ url, maxDeferredEvents: MAX_DEFERRED });
  const map = createStatelyMapper();
  let sent = 0;
  // Sent through the adapter as built: `inspector.actor` drops `parentId` for string ids
  // (`info?.parentId ?? typeof actorRef === 'string' ? …` in 0.7.2).
  const send = (event: ToolflightEvent) => {
    for (const message of map(event)) {
      inspector.adapter.send(message satisfies StatelyInspect.StatelyInspectionEvent);
      sent += 1;
    }
  };
  for (const event of options.source.events ?? []) send(event);
  const unsubscribe = options.source.tracker?.subscribe(send);
  let closed = false;
  return {
    url,
    sent: () => sent,
    close: () => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      stopForGood(inspector);
    },
  };
}

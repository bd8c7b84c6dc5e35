/// <reference lib="dom" />
// @internal The server's log: a window of it first, then the live stream (EventSource, which
// resumes with Last-Event-ID by itself), decoded events handed over once per animation frame.
import { decodeEvent } from '../../events/codec.js';
import type { ToolflightEvent } from '../../events/types.js';
import { readWindow, WindowError, type ServerWindow, type WindowAt } from './logWindow.js';

export type { ServerWindow } from './logWindow.js';

/** What the connection tells the page. */
export interface ConnectionHandlers {
  /** The first window of the server's log (`/window`): what the page shows first. */
  readonly onWindow: (window: ServerWindow) => void;
  /** Live events received since the last frame, in seq order. */
  readonly onEvents: (events: ToolflightEvent[]) => void;
  readonly onStatus: (status: 'connecting' | 'live' | 'reconnecting') => void;
  /** The server's kept history starts after the seq the page has. */
  readonly onGap: (after: number) => void;
  /** A line the page could not decode, a window it could not read. */
  readonly onError: (error: unknown) => void;
}

/**
 * Ask the server for a window of its log (`/window`): around a position, an event's seq, or
 * the end. Rejects with a `WindowError` for an answer that is not a window.
 */
export async function fetchWindow(token: string, where: WindowAt): Promise<ServerWindow> {
  const params = new URLSearchParams({ token });
  for (const [name, value] of Object.entries(where ?? {})) params.set(name, String(value));
  const response = await fetch(`/window?${params.toString()}`);
  const body = await response.text();
  if (!response.ok) throw new WindowError(`the server refused the window: ${body.slice(0, 200)}`);
  return readWindow(body);
}

/**
 * Load the first window of the server's log (`/window`), then stream what follows from
 * `/events`, resuming after the server log's last seq (and, on reconnects, after the last
 * received). Returns the function that disconnects.
 */
export function connect(
  token: string,
  handlers: ConnectionHandlers,
  first: WindowAt = undefined,
): () => void {
  let source: EventSource | undefined;
  let closed = false;
  handlers.onStatus('connecting');
  fetchWindow(token, first)
    .then((window) => {
      if (closed) return;
      handlers.onWindow(window);
      // A bounded store (a tracker keeps the last 1,000) may have dropped the oldest events.
      if (window.header.firstSeq > 1) handlers.onGap(window.header.firstSeq - 1);
      const query = `token=${encodeURIComponent(token)}`;
      source = stream(`/events?${query}&after=${window.header.lastSeq}`, handlers);
    })
    .catch((error: unknown) => handlers.onError(error));
  return () => {
    closed = true;
    source?.close();
  };
}

function stream(url: string, handlers: ConnectionHandlers): EventSource {
  const source = new EventSource(url);
  let pending: ToolflightEvent[] = [];
  let frame = 0;
  const flush = (): void => {
    frame = 0;
    const events = pending;
    pending = [];
    handlers.onEvents(events);
  };
  source.onmessage = (message: MessageEvent<string>) => {
    // History arrives in batches: one event per line.
    for (const line of message.data.split('\n'))
      pending.push(decodeEvent(line, { source: 'stream' }));
    frame ||= requestAnimationFrame(flush);
  };
  source.addEventListener('live', () => {
    // The history is all in: hand it over now rather than a frame later.
    if (frame) cancelAnimationFrame(frame);
    flush();
    handlers.onStatus('live');
  });
  source.addEventListener('gap', (message) =>
    handlers.onGap(Number((message as MessageEvent<string>).data)),
  );
  source.onerror = () => handlers.onStatus('reconnecting');
  return source;
}

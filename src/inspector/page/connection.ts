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
  const response = await fetch(`/window?${windowQuery(where, token).toString()}`);
  const body = await response.text();
  if (!response.ok) throw new WindowError(`the server refused the window: ${body.slice(0, 200)}`);
  return readWindow(body);
}

/** `/window`'s query for `where` (with the token, for a request). */
function windowQuery(where: WindowAt, token?: string): URLSearchParams {
  const params = new URLSearchParams(token === undefined ? {} : { token });
  for (const [name, value] of Object.entries(where ?? {})) params.set(name, String(value));
  return params;
}

/** How long the window socket may take to open before the page fetches instead. */
const OPEN_TIMEOUT_MS = 5_000;
/** How long an answer may take on the socket before the page gives up on that window. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * The windows a page asks for as it scrubs, on one WebSocket to `/window`: the same query and
 * the same body as a fetch, for a third of its cost (windowSocket.ts). One request at a time.
 * A socket that cannot open leaves the page fetching its windows; one that closes later (the
 * server evicted it, or went away) is opened again for the next window, and the window it was
 * answering is fetched.
 */
export class WindowChannel {
  private opened: Promise<WebSocket | undefined> | undefined;
  /** The socket never opened: every window is fetched. */
  private refused = false;
  private waiting:
    | { readonly where: WindowAt; readonly settle: (body: Promise<ServerWindow>) => void }
    | undefined;

  constructor(private readonly token: string) {}

  /** Open the socket now, before the first window is asked for. */
  open(): void {
    void this.connect();
  }

  /** The window around `where`: on the socket while it is open, else fetched. */
  async get(where: WindowAt): Promise<ServerWindow> {
    if (this.waiting) throw new Error('WindowChannel: one window at a time');
    const socket = this.refused ? undefined : await this.connect();
    if (socket?.readyState !== WebSocket.OPEN) return fetchWindow(this.token, where);
    return new Promise<ServerWindow>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new WindowError(`no window came within ${ANSWER_TIMEOUT_MS / 1000} s`));
        socket.close();
      }, ANSWER_TIMEOUT_MS);
      this.waiting = {
        where,
        settle: (window) => {
          clearTimeout(timer);
          this.waiting = undefined;
          window.then(resolve, reject);
        },
      };
      socket.send(windowQuery(where).toString());
    });
  }

  /** Close the socket (the next window opens another); for tests, a socket the server lost. */
  close(): void {
    void this.opened?.then((socket) => socket?.close());
  }

  private connect(): Promise<WebSocket | undefined> {
    this.opened ??= new Promise((resolve) => {
      const url = new URL(
        `/window?${new URLSearchParams({ token: this.token }).toString()}`,
        location.href,
      );
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const socket = new WebSocket(url);
      let open = false;
      const timer = setTimeout(() => socket.close(), OPEN_TIMEOUT_MS);
      socket.onopen = () => {
        clearTimeout(timer);
        open = true;
        resolve(socket);
      };
      socket.onmessage = (message: MessageEvent<unknown>) => {
        if (typeof message.data === 'string') this.waiting?.settle(answer(message.data));
      };
      socket.onclose = () => {
        clearTimeout(timer);
        this.opened = undefined;
        if (!open) {
          this.refused = true;
          return resolve(undefined);
        }
        const waiting = this.waiting;
        waiting?.settle(fetchWindow(this.token, waiting.where));
      };
    });
    return this.opened;
  }
}

/** A window socket's answer, read as a promise (`fetchWindow`'s errors are rejections too). */
const answer = (body: string): Promise<ServerWindow> =>
  new Promise((resolve) => resolve(readAnswer(body)));

/** A window socket's answer: a window, or a refusal of the request (`{"error": …}`). */
function readAnswer(body: string): ServerWindow {
  const end = body.indexOf('\n');
  const first = end === -1 ? body : body.slice(0, end);
  if (first.startsWith('{"error":')) {
    const { error } = JSON.parse(first) as { error: unknown };
    throw new WindowError(`the server refused the window: ${String(error).slice(0, 200)}`);
  }
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

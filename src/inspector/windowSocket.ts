// @internal `/window` over a WebSocket: the page's scrubber asks for a window on almost every
// move, and a fetch of one costs the page two to three times what a message on an open socket
// does (13 against 4 ms for a window's 250 KB at the median, 25 against 10 at the 95th
// percentile, in Chromium on loopback). The same query, the same body; GET /window stays.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type WebSocket } from 'ws';

import type { Logger } from '../logger.js';
import { windowAt, windowChunks, type LogWindow } from './logWindows.js';
import type { WindowAt } from './page/logWindow.js';
import { requestUrl, type Refusal } from './requestGuard.js';

/**
 * The longest request a page sends: a query like `at=123456` or `failure=next&from=123456`.
 * A longer message closes the socket (1009, message too big) before it is read.
 */
export const MAX_WINDOW_REQUEST_BYTES = 256;

export interface WindowSocketOptions {
  /** The window for a request (`LogWindows.window`, or the whole kept history). */
  readonly window: (where: WindowAt) => LogWindow;
  /** At most this many sockets are open at once (`limits.maxStreams`). */
  readonly maxSockets: number;
  /** A socket whose page stopped reading, with more than this waiting for it, is closed. */
  readonly maxBufferedBytes: number;
  /** A socket the handshake took over (the connection guard stops counting it idle). */
  readonly onOpen?: (socket: Duplex) => void;
  readonly logger?: Logger;
}

/** The inspector's window sockets: upgrades taken, requests answered, all closed at the end. */
export interface WindowSockets {
  /**
   * Take an upgrade request to `/window` that passed the inspector's checks (`refusal`
   * undefined), else answer it with the refusal's status, and close it.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, refusal: Refusal | undefined): void;
  /** Sockets open now. */
  readonly open: number;
  close(): void;
}

/** An answer to a request that is not one: a header line with only `error`, for the page. */
const windowErrorLine = (message: string): string => `${JSON.stringify({ error: message })}\n`;

/** A text message's text (`ws` hands it over as bytes, in one buffer or several). */
const textOf = (data: WebSocket.RawData): string =>
  (Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(new Uint8Array(data))
  ).toString('utf8');

export function windowSockets(options: WindowSocketOptions): WindowSockets {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WINDOW_REQUEST_BYTES,
    perMessageDeflate: false,
  });
  const refuse = (socket: Duplex, status: number, message: string): void => {
    const body = `${message}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const answer = (ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void => {
    if (isBinary) return ws.close(1003, 'a window is asked for with a text message');
    // One at a time: a page that asks again before it read the last answer has stopped
    // reading, and what waits for it is bounded.
    if (ws.bufferedAmount > options.maxBufferedBytes) return ws.terminate();
    const where = windowAt(new URLSearchParams(textOf(data)));
    if (typeof where === 'string') return ws.send(windowErrorLine(where));
    const chunks = [...windowChunks(options.window(where))];
    // Sent as the fragments of one message: one string of a window's size is a large object,
    // and the server's heap holds a million events (logWindows.ts, `windowChunks`).
    chunks.forEach((chunk, i) => ws.send(chunk, { fin: i === chunks.length - 1 }));
  };

  return {
    upgrade(req, socket, head, refusal) {
      socket.on('error', () => socket.destroy());
      if (refusal) return refuse(socket, refusal.status, refusal.message);
      // Checked by the inspector's request checks: a path.
      if (requestUrl(req)?.pathname !== '/window') {
        return refuse(socket, 404, 'Not Found: only /window takes a WebSocket');
      }
      if (server.clients.size >= options.maxSockets) {
        return refuse(
          socket,
          503,
          `Service Unavailable: ${server.clients.size} window sockets are open, the most limits.maxStreams allows`,
        );
      }
      server.handleUpgrade(req, socket, head, (ws) => {
        options.onOpen?.(socket);
        ws.on('message', (data, isBinary) => {
          try {
            answer(ws, data, isBinary);
          } catch (error) {
            options.logger?.warn(`inspector: a window socket's request failed: ${String(error)}`);
            ws.send(windowErrorLine(`Internal Server Error: ${String(error)}`));
          }
        });
        ws.on('error', () => ws.terminate());
      });
    },
    get open() {
      return server.clients.size;
    },
    close() {
      for (const ws of server.clients) ws.terminate();
      server.close();
    },
  };
}

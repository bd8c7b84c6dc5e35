// @internal The connection cap and the timeouts of one toolflight HTTP server, on its sockets.
// Node's defaults let a client hold a silent connection for up to 90 s (a 60 s header timeout
// checked every 30 s) and any number of them: 1,100 silent sockets used up a 1,024-descriptor
// process and real calls failed.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import type { Logger } from '../logger.js';
import type { ResolvedConnectionLimits } from './connectionLimits.js';

/** What a server's connection guard counted. */
export interface ConnectionStats {
  /** Connections open now. */
  readonly open: number;
  /** Of those, serving no request (silent, or idle between requests). */
  readonly idle: number;
  /** Closed on arrival: the cap was reached and every connection was serving a request. */
  readonly refused: number;
  /** Closed to make room at the cap: the oldest connection that served no request. */
  readonly evicted: number;
}

/** How a guard reports itself. */
export interface GuardOptions {
  /** The server's name in warnings: `the loopback server`, `the proxy`, `the inspector`. */
  readonly server: string;
  readonly logger: Logger | undefined;
  /** The server's own deadline on a request body, in ms; 0 for a server that reads none. */
  readonly bodyTimeoutMs: number;
}

/** How much later than the server's own deadlines Node's `requestTimeout` cuts a request. */
const REQUEST_SLACK_MS = 5_000;

/**
 * Close the responses that a closed socket left: Node closes the one it was writing, but never
 * one queued behind it (a pipelined request), which then waits for a socket for good, and so
 * does everyone who waits for its `close` (the request's tracking, a server's `close()`). Found
 * by the fuzz tests. Called a tick later, once Node's own listeners have run.
 */
function closeQueued(responses: ReadonlySet<ServerResponse>): void {
  for (const res of responses) {
    if (res.closed) continue;
    res.destroyed = true;
    res.emit('close');
  }
}

/** True for 1, 2, 4, 8, …: a flood is reported in a few lines, not one a socket. */
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * Caps the connections of `server` and shortens its timeouts; install it before `listen`. It
 * keeps, per socket, the responses still open on it: only a socket with none may be closed to
 * make room, so a flood of silent connections never cuts a call.
 */
export class ConnectionGuard {
  /** Responses not yet closed, per open socket (more than one when requests are pipelined). */
  readonly #responses = new Map<Socket, Set<ServerResponse>>();
  /** Sockets serving no request, the one idle longest first (a Set keeps insertion order). */
  readonly #idle = new Set<Socket>();
  #refused = 0;
  #evicted = 0;

  constructor(
    server: Server,
    private readonly limits: ResolvedConnectionLimits,
    private readonly options: GuardOptions,
  ) {
    server.headersTimeout = limits.headersTimeoutMs;
    // A backstop only: the server's body deadline (408 with a JSON-RPC body) comes first.
    server.requestTimeout = limits.headersTimeoutMs + options.bodyTimeoutMs + REQUEST_SLACK_MS;
    // Node checks both on an interval (30 s by default, read at `listening`; a constructor
    // option its types do not show on the server): check often enough that a slow sender is
    // cut within a tenth of the timeout, at most once a second.
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
      Math.min(1_000, Math.max(10, Math.floor(limits.headersTimeoutMs / 10)));
    // Between two requests Node arms the socket with this, and disarms it on the next request.
    server.keepAliveTimeout = limits.idleTimeoutMs;
    // Node destroys a socket whose idle timer fired unless someone listens here: the guard
    // decides instead, a turn of the event loop later (see #timedOut).
    server.on('timeout', (socket: Socket) => this.#timedOut(socket));
    // Added after Node's own listeners, so the socket already has its parser.
    server.on('connection', (socket: Socket) => this.#admit(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#serving(req, res));
  }

  /** What the guard counted so far. */
  stats(): ConnectionStats {
    return {
      open: this.#responses.size,
      idle: this.#idle.size,
      refused: this.#refused,
      evicted: this.#evicted,
    };
  }

  /**
   * A socket an upgrade took over (a WebSocket): it serves until it closes, whatever it sends
   * meanwhile, so it is neither idle nor timed out, and never closed to make room.
   */
  upgraded(socket: Socket): void {
    if (!this.#responses.has(socket)) return;
    this.#idle.delete(socket);
    socket.setTimeout(0);
  }

  #admit(socket: Socket): void {
    if (this.#responses.size >= this.limits.maxConnections && !this.#evictOne()) {
      this.#refused += 1;
      socket.destroy();
      if (isPowerOfTwo(this.#refused)) {
        this.#warn(
          `refused a connection: ${this.#responses.size} are open (limits.maxConnections), each serving a request; ${this.#refused} refused so far. Raise limits.maxConnections if this load is expected`,
        );
      }
      return;
    }
    this.#responses.set(socket, new Set());
    this.#idle.add(socket);
    // A connection that sends nothing: Node would only see it at its next interval check. The
    // first request disarms this; between requests Node's keep-alive timer takes over.
    socket.setTimeout(this.limits.idleTimeoutMs);
    socket.once('close', () => {
      const left = this.#responses.get(socket);
      this.#responses.delete(socket);
      this.#idle.delete(socket);
      if (left !== undefined && left.size > 0) process.nextTick(closeQueued, left);
    });
  }

  /**
   * A socket's idle timer fired (the guard's before a first request, Node's keep-alive timer
   * between two). Timers run before the event loop's poll phase: a loop that ran late (a loaded
   * machine, a long collection) finds the timer due while a request waits unread in the socket,
   * and closing it then drops that request unanswered. Look again once the poll phase has run:
   * a socket that read anything since was not idle (reading re-armed its timer, a request
   * disarmed it); one serving a request has that request's deadlines.
   */
  #timedOut(socket: Socket): void {
    const read = socket.bytesRead;
    setImmediate(() => {
      if (socket.destroyed || socket.bytesRead !== read) return;
      if ((this.#responses.get(socket)?.size ?? 0) > 0) return;
      socket.destroy();
    });
  }

  /** Close the connection idle longest; false when every one is serving a request. */
  #evictOne(): boolean {
    const oldest = this.#idle.values().next();
    if (oldest.done) return false;
    const socket = oldest.value;
    this.#idle.delete(socket);
    this.#responses.delete(socket);
    socket.destroy();
    this.#evicted += 1;
    if (isPowerOfTwo(this.#evicted)) {
      this.#warn(
        `closed an idle connection to make room: ${this.limits.maxConnections} were open (limits.maxConnections); ${this.#evicted} closed so far`,
      );
    }
    return true;
  }

  #serving(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const serving = this.#responses.get(socket);
    if (serving === undefined) return;
    // A request in progress has its own deadlines (the body's, a tool's): a long call or an
    // SSE stream sends nothing for minutes, and must not be cut for it.
    if (serving.size === 0) socket.setTimeout(0);
    serving.add(res);
    this.#idle.delete(socket);
    res.once('close', () => {
      serving.delete(res);
      if (serving.size === 0 && this.#responses.has(socket) && !socket.destroyed) {
        this.#idle.add(socket);
      }
    });
  }

  #warn(message: string): void {
    this.options.logger?.warn(`${this.options.server} ${message}`);
  }
}

/** Install a {@link ConnectionGuard} on `server` (before it listens), and return it. */
export function guardConnections(
  server: Server,
  limits: ResolvedConnectionLimits,
  options: GuardOptions,
): ConnectionGuard {
  return new ConnectionGuard(server, limits, options);
}

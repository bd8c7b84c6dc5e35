import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import { encodeEvent } from '../events/codec.js';
import { guardConnections, type ConnectionStats } from '../http/connectionGuard.js';
import { allowedHosts, loopbackAddress, nonLoopbackMessage } from '../http/loopbackHosts.js';
import { SecretMatcher } from '../http/secretMatcher.js';
import { STREAM_RETRY_AFTER_S, StreamSlots } from '../http/streamSlots.js';
import type { Logger } from '../logger.js';
import type { Tracker } from '../tracker/Tracker.js';
import { encodeOnce } from './encodedEvents.js';
import { recordingFeed, trackerFeed, type EventFeed } from './eventFeed.js';
import type { InspectorFeed } from './InspectorFeed.js';
import { pageHtml, pageScript } from './pageAssets.js';
import { InspectorError } from './InspectorError.js';
import {
  inspectorLimits,
  LAUNCH_TOKEN,
  launchToken,
  windowSize,
  type InspectorLimits,
} from './inspectorOptions.js';
import { checkRequest, requestUrl } from './requestGuard.js';
import { matchesQuery } from './logMatches.js';
import { LogWindows, wholeWindow, windowAt, windowChunks, type LogWindow } from './logWindows.js';
import type { WindowAt } from './page/logWindow.js';
import { serveEvents, writeHistory, type EventStream } from './sseStream.js';
import { windowSockets } from './windowSocket.js';

/**
 * What the inspector shows: a live tracker, a recording file (optionally still growing), or a
 * feed of events from elsewhere (a {@link fleetFeed} of several hosts' logs, with `fleet`).
 */
export type InspectorSource =
  | { readonly tracker: Tracker; readonly title?: string }
  | {
      readonly feed: InspectorFeed;
      readonly title?: string;
      /**
       * The feed merges several hosts' logs, named apart by `labelEvent` (as `fleetFeed`
       * does): the page adds a host column, a host filter and each host's in-flight and idle.
       */
      readonly fleet?: boolean;
    }
  | {
      /** A JSONL or SQLite recording. */
      readonly recording: string;
      /** Tail a JSONL file another process is writing. */
      readonly follow?: boolean;
      readonly title?: string;
    };

/** Options of {@link createInspector}. */
export interface InspectorOptions {
  /** Default 0: a random free port. */
  readonly port?: number;
  /**
   * `127.0.0.1` (default), `localhost` (binds 127.0.0.1) or `::1`: the inspector is for this
   * machine only, and refuses anything else (`ToolflightError` `non_loopback_host`).
   */
  readonly host?: string;
  /**
   * The launch token; default 24 random bytes (32 base64url characters). Pass one only to
   * reuse a known URL; one under 22 characters is refused (`InspectorError` `weak_token`).
   */
  readonly token?: string;
  /** Caps and timeouts; see {@link InspectorLimits} for the defaults. */
  readonly limits?: InspectorLimits;
  /** Told about a followed line that is not an event, and about failures serving a request. */
  readonly logger?: Logger;
  /** Called each time a page opens the event stream (a CLI can wait for the first one). */
  readonly onStream?: () => void;
  /**
   * Events in a window of a recording (default 1,000; 100 to 1,000,000). The page holds one
   * window, with the projection as of its start, and asks for another when the scrubber leaves
   * it: opening and scrubbing cost the same at a million events as at a thousand. A live
   * tracker's or a feed's kept history is sent whole.
   */
  readonly windowEvents?: number;
}

/** A running inspector. */
export interface Inspector {
  /** The page's URL, with the launch token: print it, open it. */
  readonly url: string;
  /** The server's origin, without the token. */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** What the inspector holds and refused so far: connections, streams and their buffers. */
  readonly stats: () => InspectorStats;
  /** Stop serving: open streams end, the server closes. */
  readonly close: () => Promise<void>;
}

/** What an inspector holds now, and what it refused or dropped so far. */
export interface InspectorStats {
  /** Connections open, and those refused or closed at `limits.maxConnections`. */
  readonly connections: ConnectionStats;
  /** Event streams open now. */
  readonly streams: number;
  /** Window sockets open now (WebSockets to `/window`, one per page; at most `maxStreams`). */
  readonly windowSockets: number;
  /** Bytes waiting for event-stream clients, in all (each bounded by `maxBufferedBytes`). */
  readonly bufferedBytes: number;
  /** Event streams refused with 503 at `limits.maxStreams`. */
  readonly refusedStreams: number;
  /** Event streams dropped because their client fell behind by `maxBufferedBytes`. */
  readonly droppedStreams: number;
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
};

function reply(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const TEXT = 'text/plain; charset=utf-8';

/** A header line and event lines (a window, matches) as a JSONL body, in chunks, at once. */
function writeLines(res: ServerResponse, body: Parameters<typeof windowChunks>[0]): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/x-ndjson; charset=utf-8',
  });
  for (const chunk of windowChunks(body)) res.write(chunk);
  res.end();
}

/**
 * Serve the inspector page and its event stream over HTTP on loopback.
 *
 * It binds loopback only. Every request needs the launch token (`?token=`, in the printed URL)
 * and this server's own Host; a browser Origin other than this server's is refused (DNS
 * rebinding, other local pages). Connections and event streams are capped, and a page that
 * falls behind its stream is dropped and resumes (`options.limits`).
 *
 * @example
 * const inspector = await createInspector({ tracker });
 * console.log(`open ${inspector.url}`);
 */
export async function createInspector(
  source: InspectorSource,
  options: InspectorOptions = {},
): Promise<Inspector> {
  const host = loopbackAddress(options.host);
  if (host === undefined) {
    throw new InspectorError(
      'non_loopback_host',
      nonLoopbackMessage('the inspector', options.host),
    );
  }
  const token = launchToken(options.token);
  const limits = inspectorLimits(options.limits);
  const windowEvents = windowSize(options.windowEvents);
  const tokenMatcher = new SecretMatcher(token);
  const feed: EventFeed =
    'tracker' in source
      ? trackerFeed(source.tracker)
      : 'feed' in source
        ? source.feed
        : recordingFeed(source.recording, {
            follow: source.follow,
            onProblem: (message) => options.logger?.warn(message),
          });
  const windows = 'recording' in source ? new LogWindows(feed, windowEvents) : undefined;
  // A tracker's or a feed's kept history is bounded and read again by each page that connects:
  // encoded once. A recording's million events are encoded as they are sent (logWindows.ts).
  const encode = windows ? encodeEvent : encodeOnce;
  windows?.prepare();
  /** A recording's window around `where`; a tracker's or a feed's kept history, whole. */
  const windowAround = (where: WindowAt): LogWindow =>
    windows ? windows.window(where) : wholeWindow(feed);
  const title =
    source.title ??
    ('tracker' in source ? 'live tracker' : 'feed' in source ? 'event feed' : source.recording);
  const fleet = 'feed' in source && source.fleet === true;
  const streams = new Set<EventStream>();
  const slots = new StreamSlots(limits, 'the inspector');
  let dropped = 0;
  let hosts: ReadonlySet<string> = new Set();

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    // A HEAD would hold a stream whose events are never sent.
    if (req.method === 'HEAD') return reply(res, 200, 'text/event-stream; charset=utf-8', '');
    const slot = slots.acquire(LAUNCH_TOKEN);
    if (!slot.ok) {
      return reply(res, 503, TEXT, slot.message, {
        'Retry-After': String(STREAM_RETRY_AFTER_S),
        Connection: 'close',
      });
    }
    // A body nobody reads stops the socket reading, and a client that went away would never be
    // noticed (the response never ends, so Node never drains it).
    req.resume();
    const stream = serveEvents(feed, req, res, {
      encode,
      maxBufferedBytes: limits.maxBufferedBytes,
      onDrop: () => (dropped += 1),
    });
    streams.add(stream);
    res.once('close', () => {
      slot.release();
      streams.delete(stream);
    });
    options.onStream?.();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refusal = checkRequest(req, hosts, tokenMatcher);
    if (refusal) return reply(res, refusal.status, TEXT, refusal.message);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return reply(res, 405, TEXT, 'Method Not Allowed: GET only', { Allow: 'GET' });
    }
    // Checked by `checkRequest`: a path.
    const path = requestUrl(req)?.pathname;
    if (path === '/')
      return reply(res, 200, 'text/html; charset=utf-8', pageHtml(token, title, { fleet }));
    if (path === '/app.js')
      return reply(res, 200, 'text/javascript; charset=utf-8', await pageScript());
    if (path === '/history') {
      // The kept history in one JSONL body: a page loads 100,000 events faster this way than as
      // SSE messages, then streams the rest with `/events?after=SEQ`.
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'application/x-ndjson; charset=utf-8',
      });
      return writeHistory(feed, res, encode);
    }
    if (path === '/window') {
      const where = windowAt(requestUrl(req)!.searchParams);
      if (typeof where === 'string') return reply(res, 400, TEXT, where);
      // A window is bounded (windowEvents, and the context's cap): written at once.
      return writeLines(res, windowAround(where));
    }
    if (path === '/matches') {
      if (!windows) {
        return reply(
          res,
          404,
          TEXT,
          "Not Found: /matches filters a recording; a tracker's or a feed's kept history is sent whole, and the page filters it",
        );
      }
      const query = matchesQuery(requestUrl(req)!.searchParams);
      if (typeof query === 'string') return reply(res, 400, TEXT, query);
      // A page that asks for another filter drops this request: the scan stops with it.
      const answer = await windows.matches(query, () => res.destroyed || req.destroyed);
      if (answer === undefined) return void res.destroy();
      // Bounded: at most MAX_MATCH_ROWS events.
      return writeLines(res, answer);
    }
    if (path === '/events') return openStream(req, res);
    reply(
      res,
      404,
      TEXT,
      'Not Found: the inspector serves /, /window, /matches, /history and /events',
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger?.warn(`inspector: ${String(error)}`);
      if (!res.headersSent) reply(res, 500, TEXT, String(error));
      else res.destroy();
    });
  });
  const sockets = windowSockets({
    window: windowAround,
    maxSockets: limits.maxStreams,
    maxBufferedBytes: limits.maxBufferedBytes,
    // A page's socket serves it for as long as it is open: not an idle connection to close.
    onOpen: (socket) => guard.upgraded(socket as Socket),
    logger: options.logger,
  });
  // The page's scrubber asks for its windows on a socket: the same checks as a request first.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    sockets.upgrade(req, socket, head, checkRequest(req, hosts, tokenMatcher)),
  );
  const guard = guardConnections(server, limits, {
    server: 'the inspector',
    logger: options.logger,
    bodyTimeoutMs: 0,
  });
  server.listen(options.port ?? 0, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    feed.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    port,
    token,
    stats() {
      let bufferedBytes = 0;
      for (const stream of streams) bufferedBytes += stream.pendingBytes();
      return {
        connections: guard.stats(),
        streams: streams.size,
        windowSockets: sockets.open,
        bufferedBytes,
        refusedStreams: slots.stats().refused,
        droppedStreams: dropped,
      };
    },
    async close() {
      feed.close();
      tokenMatcher.forget();
      for (const stream of streams) stream.stop();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ToolflightError } from '../errors.js';
import { allowedHosts, loopbackAddress, nonLoopbackMessage } from '../http/loopbackHosts.js';
import { SecretMatcher } from '../http/secretMatcher.js';
import type { Logger } from '../logger.js';
import type { Tracker } from '../tracker/Tracker.js';
import { recordingFeed, trackerFeed, type EventFeed } from './eventFeed.js';
import { pageHtml, pageScript } from './pageAssets.js';
import { checkRequest } from './requestGuard.js';
import { historyJsonl, serveEvents } from './sseStream.js';

/** What the inspector shows: a live tracker, or a recording file (optionally still growing). */
export type InspectorSource =
  | { readonly tracker: Tracker; readonly title?: string }
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
  /** The launch token; default 24 random bytes. Pass one only to reuse a known URL. */
  readonly token?: string;
  /** Told about a followed line that is not an event, and about failures serving a request. */
  readonly logger?: Logger;
  /** Called each time a page opens the event stream (a CLI can wait for the first one). */
  readonly onStream?: () => void;
}

/** A running inspector. */
export interface Inspector {
  /** The page's URL, with the launch token: print it, open it. */
  readonly url: string;
  /** The server's origin, without the token. */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** Stop serving: open streams end, the server closes. */
  readonly close: () => Promise<void>;
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
};

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Serve the inspector page and its event stream over HTTP on loopback.
 *
 * It binds loopback only. Every request needs the launch token (`?token=`, in the printed URL)
 * and this server's own Host; a browser Origin other than this server's is refused (DNS
 * rebinding, other local pages).
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
    throw new ToolflightError(
      'non_loopback_host',
      nonLoopbackMessage('the inspector', options.host),
    );
  }
  const token = options.token ?? randomBytes(24).toString('base64url');
  const tokenMatcher = new SecretMatcher(token);
  const feed: EventFeed =
    'tracker' in source
      ? trackerFeed(source.tracker)
      : recordingFeed(source.recording, {
          follow: source.follow,
          onProblem: (message) => options.logger?.warn(message),
        });
  const title = source.title ?? ('tracker' in source ? 'live tracker' : source.recording);
  const streams = new Set<() => void>();
  let hosts: ReadonlySet<string> = new Set();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refusal = checkRequest(req, hosts, tokenMatcher);
    if (refusal) return reply(res, refusal.status, 'text/plain; charset=utf-8', refusal.message);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET');
      return reply(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed: GET only');
    }
    const path = new URL(req.url ?? '/', 'http://inspector').pathname;
    if (path === '/') return reply(res, 200, 'text/html; charset=utf-8', pageHtml(token, title));
    if (path === '/app.js')
      return reply(res, 200, 'text/javascript; charset=utf-8', await pageScript());
    if (path === '/history') {
      // The kept history in one JSONL body: a page loads 100,000 events faster this way than as
      // SSE messages, then streams the rest with `/events?after=SEQ`.
      return reply(res, 200, 'application/x-ndjson; charset=utf-8', historyJsonl(feed));
    }
    if (path === '/events') {
      return serveEvents(feed, req, res, (stop) => {
        streams.add(stop);
        options.onStream?.();
        res.once('close', () => streams.delete(stop));
      });
    }
    reply(
      res,
      404,
      'text/plain; charset=utf-8',
      'Not Found: the inspector serves /, /history and /events',
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger?.warn(`inspector: ${String(error)}`);
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', String(error));
      else res.destroy();
    });
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
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    async close() {
      feed.close();
      tokenMatcher.forget();
      for (const stop of streams) stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

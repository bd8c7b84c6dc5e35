// @internal The HTTP server of a proxy or a gateway: on 127.0.0.1 only, its connections guarded
// and counted, every request handed to the endpoint (a failure of the handler answers 500 for
// that request alone), and a close that stops accepting first and drops what is left last.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { guardConnections } from '../../http/connectionGuard.js';
import type { ResolvedConnectionLimits } from '../../http/connectionLimits.js';
import type { Logger } from '../../logger.js';
import { replyError } from './httpReplies.js';

/** A listening endpoint. */
export interface Listening {
  readonly port: number;
  /** Stop accepting connections; resolves once the last one is gone. */
  readonly stopAccepting: () => Promise<void>;
  /** Drop every connection still open (after the sessions ended); resolves once all closed. */
  readonly dropConnections: () => Promise<void>;
}

/** What the server is, for its messages and limits. */
export interface ListenOptions {
  /** `the proxy`, `the gateway`: the subject of its log lines. */
  readonly name: string;
  readonly port: number;
  readonly limits: ResolvedConnectionLimits;
  readonly bodyTimeoutMs: number;
  readonly logger: Logger | undefined;
  /** The endpoint's own error for a port it cannot listen on. */
  readonly listenFailed: (message: string, cause: Error) => Error;
}

/** Listen on 127.0.0.1:`port` (0: a free one) and serve every request with `serve`. */
export async function listenLoopback(
  options: ListenOptions,
  serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<Listening> {
  const { logger } = options;
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    serve(req, res).catch((error: unknown) => {
      logger?.warn(`${options.name}: a request failed: ${String(error)}`);
      if (!res.headersSent) replyError(res, 500, -32603, 'Internal error', { close: true });
      else res.destroy();
    });
  });
  guardConnections(server, options.limits, {
    server: options.name,
    logger,
    bodyTimeoutMs: options.bodyTimeoutMs,
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => {
      reject(
        options.listenFailed(
          `cannot listen on 127.0.0.1:${options.port} (${error.message}): free the port or pass port 0`,
          error,
        ),
      );
    });
    server.listen({ port: options.port, host: '127.0.0.1', exclusive: true }, () => {
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : 0);
    });
  });
  let stopped: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> =>
    (stopped ??= new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    port,
    stopAccepting,
    async dropConnections() {
      const closing = stopAccepting();
      const dropped = [...open].map((res) => once(res, 'close'));
      server.closeAllConnections();
      await Promise.all([closing, ...dropped]);
    },
  };
}

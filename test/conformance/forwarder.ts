// A pass-through HTTP hop that adds `Authorization: Bearer <credential>`: the conformance runner
// cannot send headers, and the proxy and the loopback server admit only a credential. Every
// method, header, status and body byte goes through as it came, streamed both ways (SSE
// included), with one exception: a `Host` naming the forwarder itself is turned into the same
// name at the target's port, so that a client that addressed the forwarder is seen by the
// target as addressing the target. Any other `Host` (the DNS-rebinding scenario's
// `evil.example.com`) reaches the target unchanged, so the target's own check is what is judged.
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

/** A running forwarder. */
export interface Forwarder {
  /** The target's URL at the forwarder: `http://127.0.0.1:PORT` + the target's path. */
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Forward to `target` (an `http://127.0.0.1:PORT/…` URL), adding the bearer `credential`. */
export async function startForwarder(target: string, credential: string): Promise<Forwarder> {
  const to = new URL(target);
  let own: ReadonlyMap<string, string> = new Map();

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const host = req.headers.host?.toLowerCase();
    const headers = {
      ...req.headers,
      host: (host !== undefined && own.get(host)) || req.headers.host,
      authorization: `Bearer ${credential}`,
    };
    // A fresh connection per request: a kept-alive socket the target closed as idle would
    // otherwise fail the next request that reuses it.
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        // SSE: the headers go out now, each chunk as it comes.
        res.flushHeaders();
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    // The client went away (a reader cancelled its stream): so does the hop to the target.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };

  const http = createServer(forward);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const port = (http.address() as { port: number }).port;
  own = new Map(
    ['127.0.0.1', 'localhost'].map((name) => [`${name}:${port}`, `${name}:${to.port}`] as const),
  );
  return {
    url: `http://127.0.0.1:${port}${to.pathname}`,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}

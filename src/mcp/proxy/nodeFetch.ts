// @internal A `fetch` for the SDK's HTTP client transport over `node:http` with a keep-alive
// agent. undici's `fetch` costs about three times the client CPU of `http.request` per round
// trip (see DESIGN.md); the SDK still does the Streamable HTTP work (sessions, SSE) on top.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

const NO_BODY = new Set([101, 204, 205, 304]);

function headersOf(message: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < message.rawHeaders.length; i += 2) {
    headers.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
  }
  return headers;
}

/** A `fetch` that sends string bodies through `node:http(s)` with keep-alive connections. */
export function createNodeFetch(): FetchLike & { readonly destroy: () => void } {
  const agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };
  const nodeFetch = (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => (headers[key] = value));
    const body = typeof init.body === 'string' ? init.body : undefined;
    if (init.body != null && body === undefined) {
      return Promise.reject(new TypeError('nodeFetch sends string bodies only'));
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((resolve, reject) => {
      const options = {
        method: init.method ?? 'GET',
        headers,
        agent: secure ? agents.https : agents.http,
        signal: init.signal ?? undefined,
      };
      const onResponse = (message: IncomingMessage): void => {
        const status = message.statusCode ?? 502;
        const init = { status, statusText: message.statusMessage, headers: headersOf(message) };
        if (NO_BODY.has(status)) {
          message.resume();
          resolve(new Response(null, init));
        } else if (/^text\/event-stream/i.test(message.headers['content-type'] ?? '')) {
          resolve(new Response(Readable.toWeb(message) as ReadableStream<Uint8Array>, init));
        } else {
          // A whole JSON body: buffered, since a web stream over a Node stream costs more
          // than the round trip it carries.
          const chunks: Buffer[] = [];
          message.on('data', (chunk: Buffer) => chunks.push(chunk));
          message.once('end', () => resolve(new Response(Buffer.concat(chunks), init)));
          message.once('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
        }
      };
      const req = secure
        ? httpsRequest(url, options, onResponse)
        : httpRequest(url, options, onResponse);
      req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      req.end(body);
    });
  };
  return Object.assign(nodeFetch, {
    destroy: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}

// Hostile HTTP requests as fast-check arbitraries: mostly valid, with one or two things wrong,
// so that they reach the deeper checks; and the bytes a raw client writes for each.
import fc from 'fast-check';

import { toolsCall } from '../mcp/support.js';

/** What a fuzzer needs to know to aim at one server. */
export interface Aim {
  readonly port: number;
  /** The server's own `Host` value, e.g. `127.0.0.1:PORT`. */
  readonly host: string;
  /** The endpoint's path: `/mcp`, or `/` for the inspector. */
  readonly path: string;
  /** Valid `Authorization` values (MCP endpoints); empty for the inspector. */
  readonly authorizations: readonly string[];
  /** A valid `token=…` query (the inspector); undefined for MCP endpoints. */
  readonly tokenQuery?: string;
  /** The largest body the server takes. */
  readonly maxBodyBytes: number;
  /**
   * The id of a live session, asked as a request that names it is written (the proxy is
   * stateful toward agents, and a hostile `DELETE` may end one); undefined for an endpoint
   * without sessions.
   */
  readonly session?: (request: HostileRequest) => string;
}

/** Stands for {@link Aim.session}'s id in a generated request, until it is written. */
export const LIVE_SESSION = '<the live session>';

/** How the body is framed: honestly, or with a lie about its length. */
type Framing = 'exact' | 'short' | 'long' | 'invalid' | 'chunked' | 'broken-chunks' | 'unframed';

/**
 * How the client ends: asks the server to close after its answer; sends a second request after
 * it on the same connection, which asks for the close (whatever the first left unread is parsed
 * as the start of the second); or half-closes at once, which Node takes for a client that gave
 * up (an answer may never come, and is not asked for).
 */
type Ending = 'close' | 'pipelined' | 'half-close';

/** One hostile request, as bytes to write and what to expect of the socket. */
export interface HostileRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  readonly framing: Framing;
  readonly ending: Ending;
}

/** JSON-RPC shapes, valid and odd. */
function rpcBodies(aim: Aim): fc.Arbitrary<string> {
  const id = fc.oneof(
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.constantFrom(null, 1.5, -0, true, {}, [], 'x'.repeat(10_000)),
  );
  const message = fc.oneof(
    fc.record({
      jsonrpc: fc.constant('2.0'),
      id,
      method: fc.constant('tools/call'),
      params: fc.record({
        name: fc.constantFrom('echo', 'nope', '__proto__', ''),
        arguments: fc.oneof(fc.object(), fc.jsonValue()),
      }),
    }),
    fc.record({
      jsonrpc: fc.constant('2.0'),
      id,
      method: fc.constantFrom('tools/list', 'initialize', 'ping', 'resources/list', 'nope', ''),
    }),
    fc.record({
      jsonrpc: fc.constant('2.0'),
      method: fc.constantFrom(
        'notifications/initialized',
        'notifications/cancelled',
        'notifications/x',
      ),
    }),
    fc.record({ jsonrpc: fc.constant('2.0'), id, result: fc.jsonValue() }),
    fc.record({ jsonrpc: fc.constantFrom('1.0', 2, null), id, method: fc.string() }),
    fc.jsonValue(),
  );
  const nested = fc
    .integer({ min: 1, max: 100_000 })
    .map(
      (depth) =>
        `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}`,
    );
  return fc.oneof(
    fc.constant(toolsCall('echo', { text: 'hi' })),
    fc.constant(
      '{"__proto__":{"polluted":1},"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"constructor":{"prototype":{"polluted":1}},"__proto__":{"x":1}}}}',
    ),
    message.map((m) => JSON.stringify(m)),
    fc.array(message, { maxLength: 8 }).map((batch) => JSON.stringify(batch)),
    nested,
    fc.string({ maxLength: 200 }),
    fc.jsonValue().map((value) => JSON.stringify(value) ?? 'undefined'),
    fc
      .tuple(fc.constant(toolsCall('echo', { text: 'truncated' })), fc.nat())
      .map(([text, cut]) => text.slice(0, cut % text.length)),
    fc.constant('x'.repeat(aim.maxBodyBytes + 1)),
    fc.constant(''),
  );
}

/**
 * Mostly `valid`, sometimes one of `others`: a request with one or two things wrong gets past
 * the first checks and reaches the deeper ones (a request wrong in every way meets only the
 * first).
 */
function usually<T>(valid: T, others: fc.Arbitrary<T>, weight = 8): fc.Arbitrary<T> {
  return fc.oneof({ weight, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: others });
}

const rarely = <T>(arb: fc.Arbitrary<T>) => usually<T | undefined>(undefined, arb, 12);

/** Every kind of hostile request an entry point must answer. */
export function hostileRequests(aim: Aim): fc.Arbitrary<HostileRequest> {
  const token = aim.tokenQuery;
  const query =
    token === undefined
      ? fc.constant('')
      : usually(
          `?${token}`,
          fc.constantFrom(
            '',
            `?${token}&after=-1`,
            `?${token}&after=abc`,
            `?after=99999999999999999999&${token}`,
            '?token=',
            '?token=wrong',
            `?${token}x`,
            `?${token}&token=other`,
          ),
        );
  const path = usually(
    aim.path,
    fc.oneof(
      fc.constantFrom('/', '/mcp', '/mcp/', '/MCP', '/history', '/events', '/app.js', '//mcp'),
      fc.constantFrom('/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/%00', '*', '/mcp#x'),
      fc.webPath({ size: 'small' }),
    ),
    4,
  );
  const [valid, other] = aim.authorizations;
  const auth =
    valid === undefined
      ? rarely(fc.constantFrom('Bearer x', 'Basic dXNlcjpwYXNz'))
      : usually<string | undefined>(
          valid,
          fc.oneof(
            fc.constantFrom(undefined, 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer x'),
            fc.constant(`Bearer ${'A'.repeat(4000)}`),
            fc.constantFrom(other ?? valid, `${valid}x`, valid.toLowerCase(), valid.slice(0, -1)),
          ),
        );
  const headers = fc.record({
    host: usually<string | undefined>(
      aim.host,
      fc.constantFrom(
        undefined,
        'evil.example',
        `evil.example:${aim.port}`,
        '127.0.0.1',
        '',
        `localhost:${aim.port}`,
        `[::1]:${aim.port}`,
      ),
      12,
    ),
    origin: rarely(
      fc.constantFrom(
        'null',
        'http://evil.example',
        `http://${aim.host}`,
        'http://localhost:1',
        '%%%',
      ),
    ),
    authorization: auth,
    'content-type': usually<string | undefined>(
      'application/json',
      fc.constantFrom(
        undefined,
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'text/plain',
        'application/jsonp',
        'multipart/form-data; boundary=x',
      ),
    ),
    accept: usually<string | undefined>(
      aim.tokenQuery === undefined ? 'application/json, text/event-stream' : undefined,
      fc.constantFrom(undefined, 'text/event-stream', 'application/json', '*/*', 'text/html'),
    ),
    'last-event-id': rarely(fc.constantFrom('5', '-1', 'abc', '1e308')),
    'mcp-protocol-version': rarely(fc.constantFrom('2025-06-18', '2025-03-26', '1999-01-01', 'x')),
    // In a session, mostly (else a request never gets past the session check); else rarely one.
    'mcp-session-id':
      aim.session === undefined
        ? rarely(fc.constantFrom('abc', 'x'.repeat(300)))
        : usually<string | undefined>(
            LIVE_SESSION,
            fc.constantFrom(undefined, 'abc', 'x'.repeat(300)),
          ),
    'x-toolflight-capture-key': rarely(fc.constantFrom('run-1', 'other', '', 'ü'.repeat(300))),
    expect: rarely(fc.constant('100-continue')),
  });
  const method = fc.oneof(
    { weight: 12, arbitrary: fc.constant(aim.tokenQuery === undefined ? 'POST' : 'GET') },
    { weight: 4, arbitrary: fc.constantFrom('GET', 'POST') },
    { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD') },
    { weight: 1, arbitrary: fc.constantFrom('BREW', 'get', 'P0ST') },
  );
  return fc
    .record({
      method,
      path,
      query,
      headers,
      body: rpcBodies(aim),
      framing: usually<Framing>(
        'exact',
        fc.constantFrom('short', 'invalid', 'chunked', 'broken-chunks', 'unframed', 'long'),
        10,
      ),
      ending: fc.oneof(
        { weight: 14, arbitrary: fc.constant<Ending>('close') },
        { weight: 2, arbitrary: fc.constant<Ending>('pipelined') },
        { weight: 1, arbitrary: fc.constant<Ending>('half-close') },
      ),
    })
    .map(({ method: m, path: p, query: q, headers: h, body, framing, ending }) =>
      shownShort({
        method: m,
        target: `${p}${q}`,
        headers: Object.entries(h).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        ),
        body,
        framing,
        ending,
      }),
    );
}

/** `request`, shown with long values cut when fast-check reports it (a 64 KiB body is noise). */
function shownShort(request: HostileRequest): HostileRequest {
  const cut = (text: string) =>
    text.length > 120 ? `${text.slice(0, 100)}…(${text.length} characters)` : text;
  return Object.assign(request, {
    [fc.toStringMethod]: () =>
      JSON.stringify({
        ...request,
        headers: request.headers.map(([name, value]) => [name, cut(value)]),
        body: cut(request.body),
      }),
  });
}

/**
 * False when Node may close the connection without an answer: the client half-closed (to Node,
 * it gave up), or bytes that are not HTTP follow a complete request, and Node closes the
 * connection on them, dropping a response already begun (an event stream's head) unsent; it
 * answers 400 only when nothing was written yet.
 */
export function mustBeAnswered(request: HostileRequest): boolean {
  if (request.ending === 'half-close') return false;
  if (request.framing === 'broken-chunks') return false;
  return !(['short', 'unframed'].includes(request.framing) && request.body.length > 0);
}

/** The request as the bytes a client writes to `aim` ({@link LIVE_SESSION} as its id). */
export function bytesOf(request: HostileRequest, aim: Pick<Aim, 'host' | 'session'>): Buffer {
  const { host, session } = aim;
  const body = Buffer.from(request.body, 'utf8');
  const head = request.headers.map(
    ([name, value]) =>
      `${name}: ${value === LIVE_SESSION && session !== undefined ? session(request) : value}\r\n`,
  );
  if (request.ending === 'close') head.push('connection: close\r\n');
  let payload: Buffer = body;
  switch (request.framing) {
    case 'exact':
      head.push(`content-length: ${body.length}\r\n`);
      break;
    case 'short':
      head.push(`content-length: ${Math.floor(body.length / 2)}\r\n`);
      break;
    case 'long':
      head.push(`content-length: ${body.length + 10}\r\n`);
      break;
    case 'invalid':
      head.push('content-length: 12abc\r\n');
      break;
    case 'chunked':
      head.push('transfer-encoding: chunked\r\n');
      payload = Buffer.concat([
        Buffer.from(body.length > 0 ? `${body.length.toString(16)}\r\n` : ''),
        body,
        Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n'),
      ]);
      break;
    case 'broken-chunks':
      head.push('transfer-encoding: chunked\r\n');
      payload = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n')]);
      break;
    case 'unframed':
      break;
  }
  const next =
    request.ending === 'pipelined'
      ? `GET /next HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`
      : '';
  return Buffer.concat([
    Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\n${head.join('')}\r\n`, 'latin1'),
    payload,
    Buffer.from(next, 'latin1'),
  ]);
}

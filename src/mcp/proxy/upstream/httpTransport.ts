// @internal The proxy's Streamable HTTP client transport: `node:http(s)` with a keep-alive agent
// and plain header objects. The SDK's client transport builds `Headers`, web `Response`s and
// streams and parses every message with zod: measured, that was most of what the proxy added
// to a forwarded call over a bare `http.request` hop.
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

import {
  connectionError,
  HttpTransportError,
  isRpcMessage,
  type HttpTransportErrorKind,
} from './httpTransportError.js';

import { bufferedBody } from '../../endpoint/readBody.js';
import { messageOf } from '../../../errors.js';
import { MessageSecrets, redact, redactError } from './redact.js';
import type { HttpUpstream } from './Upstream.js';
import { serializeOrRefuse } from './unsendable.js';

/** The most of one response body (or one SSE event) the transport buffers. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** How long `close()` waits for the upstream to take the session's `DELETE`. */
const DELETE_TIMEOUT_MS = 1000;
const ACCEPT_POST = 'application/json, text/event-stream';

const requestIdOf = (message: JSONRPCMessage): RequestId | undefined =>
  'method' in message && 'id' in message ? message.id : undefined;

const isInitialized = (message: JSONRPCMessage): boolean =>
  'method' in message && message.method === 'notifications/initialized';

const answerIdOf = (message: JSONRPCMessage): unknown =>
  'method' in message ? undefined : (message as { id?: unknown }).id;

const BEARER = 'Bearer ';

/** How many of the tokens it sent a transport keeps to take out of what the upstream says. */
const TOKENS_KEPT = 4;

/** The token a request carries (what the upstream may echo back), if any. */
const tokenIn = (headers: OutgoingHttpHeaders): string | undefined =>
  typeof headers.authorization === 'string' && headers.authorization.startsWith(BEARER)
    ? headers.authorization.slice(BEARER.length)
    : undefined;

/**
 * Headers the transport sets itself (the protocol's, the body's), or that belong to one hop of
 * a connection: an upstream's configured `headers` may not set them. `accept-encoding` and
 * `expect` too: the transport reads plain bodies and sends without waiting for a 100.
 */
const RESERVED_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'expect',
  'host',
  'http2-settings',
  'keep-alive',
  'last-event-id',
  'mcp-protocol-version',
  'mcp-session-id',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** An HTTP field name (RFC 9110 `token`). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node refuses in a header value (it would throw on every request). */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * What is wrong with sending header `name` with `value` on every request to an upstream, or
 * undefined. Never quotes the value: a configured header usually carries a credential.
 */
export function upstreamHeaderProblem(name: string, value: unknown): string | undefined {
  if (!HEADER_NAME.test(name)) {
    return "is not an HTTP header name (letters, digits and !#$%&'*+.^_`|~- only)";
  }
  const lower = name.toLowerCase();
  if (RESERVED_HEADERS.has(lower)) {
    return lower.startsWith('mcp-') || lower === 'last-event-id'
      ? 'is a header of the MCP protocol, which the proxy sets itself: drop it'
      : 'is a header the proxy sets itself, or one of a single connection hop: drop it';
  }
  if (typeof value !== 'string') return `must be a string, got ${describeType(value)}`;
  if (BAD_HEADER_VALUE.test(value)) {
    return 'holds a line break or another control character, which no header value may: fix the value';
  }
  return undefined;
}

const describeType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/**
 * The values of configured headers an upstream may echo back: each whole, and the credentials
 * of an `Authorization` without their scheme (an upstream may quote the token alone).
 */
function headerSecrets(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers).flatMap(([name, value]) => {
    if (!/^(?:proxy-)?authorization$/i.test(name)) return [value];
    const credentials = /^\S+\s+(\S.*)$/.exec(value)?.[1];
    return credentials === undefined ? [value] : [value, credentials];
  });
}

/** One response header, read from the raw list (the `headers` object is built on first use). */
function headerOf(response: IncomingMessage, name: string): string | undefined {
  const raw = response.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

/** Reject when the answer fails or its connection closes before it ended. */
function settleOnFailure(response: IncomingMessage, reject: (error: Error) => void): void {
  response.once('error', (error) => reject(connectionError(error, true)));
  response.once('close', () => {
    if (!response.complete) {
      reject(connectionError(new Error('the connection closed before the answer ended'), true));
    }
  });
}

const tooLarge = (): HttpTransportError =>
  new HttpTransportError(
    'bad_answer',
    `the upstream's answer is larger than ${MAX_ANSWER_BYTES} bytes`,
    true,
  );

/** Read a whole body as text, at most `MAX_ANSWER_BYTES`. */
function readText(response: IncomingMessage): Promise<string> {
  // Most answers arrive with their headers: take them from the parser's buffer at once.
  const buffered = bufferedBody(response, MAX_ANSWER_BYTES);
  if (buffered?.kind === 'body') return Promise.resolve(buffered.text);
  if (buffered !== undefined) {
    response.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        reject(tooLarge());
        response.destroy();
      } else chunks.push(chunk);
    });
    response.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()),
    );
    settleOnFailure(response, reject);
  });
}

/**
 * What the transport says about a message beyond the SDK's: the request whose POST answer
 * stream carried it, so the message goes to the agent that sent that request and nowhere else.
 */
export type RelatedExtra = MessageExtraInfo & { readonly relatedRequestId?: RequestId };

/** The POST of one request while it is being sent and answered (see `abort`). */
interface InFlight {
  req: ClientRequest | undefined;
  aborted: boolean;
}

/** A Streamable HTTP session with one upstream, as an SDK `Transport`. */
export class HttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: RelatedExtra) => void;
  sessionId?: string;

  readonly #upstream: HttpUpstream;
  readonly #target: { protocol: string; hostname: string; port: string; path: string };
  readonly #request: typeof httpRequest;
  readonly #agent: HttpAgent;
  #protocolVersion: string | undefined;
  #stream: ClientRequest | undefined;
  /** Session streams opened so far; the open one's number, 0 while none is open. */
  #streamsOpened = 0;
  #openStreamNumber = 0;
  /**
   * Whether the open stream proved it was up: it carried a message, or a request sent while it
   * was open got its answer. Answers to requests sent before it opened do not count: the link's
   * own tools/list goes out with every new session, so it would prove every stream, even one
   * the upstream ends as soon as it opens.
   */
  #streamServed = false;
  #closed = false;
  /** The POST of each single request being sent or answered, by the request's id. */
  readonly #inFlight = new Map<RequestId, InFlight>();
  /** The upstream's configured headers, by lower-case name; undefined when there are none. */
  readonly #fixed: OutgoingHttpHeaders | undefined;
  /** Their values (see `headerSecrets`): redacted wherever the token is. */
  readonly #headerSecrets: readonly string[];
  /**
   * The last tokens this transport sent (a rotated one may still be echoed), and the values of
   * its configured headers: masked in every message the upstream sends, results and
   * notifications too, and nothing else in them.
   */
  readonly #tokens: MessageSecrets;

  constructor(upstream: HttpUpstream) {
    this.#upstream = upstream;
    const configured = upstream.headers ?? {};
    const names = Object.keys(configured);
    this.#fixed =
      names.length === 0
        ? undefined
        : Object.fromEntries(names.map((name) => [name.toLowerCase(), configured[name]]));
    this.#headerSecrets = [...headerSecrets(configured), ...(upstream.secrets ?? [])];
    this.#tokens = new MessageSecrets(this.#headerSecrets, TOKENS_KEPT);
    const url = new URL(upstream.url);
    const secure = url.protocol === 'https:';
    this.#target = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      path: `${url.pathname}${url.search}`,
    };
    this.#request = secure ? httpsRequest : httpRequest;
    this.#agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  /** Nothing to open: connections are made per request. */
  async start(): Promise<void> {}

  /** Sent as `mcp-protocol-version` on every later request. */
  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
  }

  /**
   * POST one message (or batch) and deliver what the upstream answers through `onmessage`;
   * resolves once the answer was read, rejects with an `HttpTransportError` (or an
   * `UnsendableMessage`, before anything is sent). A request whose answer body ends without its
   * response fails with outcome unknown. What the upstream says in a refusal or an error
   * answer is redacted (`redact`): an upstream may echo the token and the configured headers it
   * was sent; in any other message (a result, a notification) the tokens this transport sent
   * and the configured header values are masked, and only they.
   */
  async send(message: JSONRPCMessage | JSONRPCMessage[]): Promise<void> {
    if (this.#closed) throw new HttpTransportError('unreachable', 'the transport is closed');
    const id = Array.isArray(message) ? undefined : requestIdOf(message);
    if (id === undefined) return this.#sendPost(message, undefined);
    const flight: InFlight = { req: undefined, aborted: false };
    this.#inFlight.set(id, flight);
    try {
      return await this.#sendPost(message, flight);
    } finally {
      if (this.#inFlight.get(id) === flight) this.#inFlight.delete(id);
    }
  }

  /**
   * Nobody waits for the answer to request `id` any more (it timed out, or was cancelled): its
   * POST is aborted, or never sent if it has not gone yet, so that an upstream that goes on
   * working holds no connection of ours; its `send` rejects. Nothing for an id not in flight.
   */
  abort(id: RequestId): void {
    const flight = this.#inFlight.get(id);
    if (flight === undefined) return;
    flight.aborted = true;
    flight.req?.destroy();
  }

  async #sendPost(
    message: JSONRPCMessage | JSONRPCMessage[],
    flight: InFlight | undefined,
  ): Promise<void> {
    const heldSession = this.sessionId !== undefined;
    const streamAtSend = this.#openStreamNumber;
    const body = serializeOrRefuse(message, JSON.stringify);
    let headers: OutgoingHttpHeaders;
    try {
      const pending = this.#headers(ACCEPT_POST);
      // No token source: no await, so a call costs no extra turn of the microtask queue.
      headers = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      throw new HttpTransportError(
        'unreachable',
        `could not get the upstream token: ${redact(messageOf(error))}`,
        false,
        undefined,
        { cause: error },
      );
    }
    const sent = this.#sentSecrets(headers);
    if (flight?.aborted) {
      throw new HttpTransportError('unreachable', 'the request was abandoned before it was sent');
    }
    const response = await this.#post(body, headers, flight);
    const status = response.statusCode ?? 0;
    const session = headerOf(response, 'mcp-session-id');
    if (session !== undefined && session !== '') this.sessionId = session;
    if (status === 202) {
      response.resume();
      if (!Array.isArray(message) && isInitialized(message)) {
        this.#openStream().catch((error: unknown) => this.onerror?.(error as Error));
      }
      return;
    }
    if (status < 200 || status > 299) {
      const text = redact(await readText(response).catch(() => ''), sent);
      if (status === 404 && heldSession) {
        throw new HttpTransportError('session_gone', 'the upstream no longer knows the session');
      }
      if (status === 502 || status === 503 || status === 504) {
        throw new HttpTransportError('unreachable', `the upstream answered HTTP ${status}`);
      }
      throw new HttpTransportError('refused', `the upstream answered HTTP ${status}`, false, {
        status,
        text,
      });
    }
    const waiting = new Set<unknown>();
    for (const sent of Array.isArray(message) ? message : [message]) {
      const id = requestIdOf(sent);
      if (id !== undefined) waiting.add(id);
    }
    // What arrives on the answer to one request belongs to that request (the spec's rule).
    const related = Array.isArray(message) ? undefined : requestIdOf(message);
    const extra = related === undefined ? undefined : { relatedRequestId: related };
    const type = (headerOf(response, 'content-type') ?? '').toLowerCase();
    if (type.startsWith('text/event-stream')) {
      await this.#readStream(response, waiting, sent, extra);
    } else if (type.startsWith('application/json')) {
      this.#deliverJson(await readText(response), waiting, sent, extra);
    } else {
      response.resume();
      if (waiting.size === 0) return;
      throw new HttpTransportError(
        'bad_answer',
        `the upstream answered with content-type "${type}", not JSON or an event stream`,
        true,
      );
    }
    if (waiting.size > 0) {
      throw new HttpTransportError(
        'bad_answer',
        'the upstream ended its answer without the response to the request',
        true,
      );
    }
    if (streamAtSend !== 0 && streamAtSend === this.#openStreamNumber) this.#streamServed = true;
  }

  /** Open the session's GET stream for server-initiated messages (405: the server has none). */
  async #openStream(): Promise<void> {
    if (this.#closed || this.#stream !== undefined) return;
    const headers = await this.#headers('text/event-stream');
    if (this.#closed || this.#stream !== undefined) return;
    const req = this.#send('GET', headers, undefined, (response) => {
      const status = response.statusCode ?? 0;
      const type = (response.headers['content-type'] ?? '').toLowerCase();
      if (status === 405) {
        response.resume();
        return;
      }
      if (status !== 200 || !type.startsWith('text/event-stream')) {
        response.resume();
        this.#streamError('refused', `the upstream refused the session stream (HTTP ${status})`);
        return;
      }
      this.#openStreamNumber = ++this.#streamsOpened;
      this.#streamServed = false;
      const served = (): void => void (this.#streamServed = true);
      this.#readStream(response, new Set(), this.#sentSecrets(headers), undefined, served).then(
        () =>
          this.#streamServed
            ? this.#streamError('ended', 'the upstream ended the session stream')
            : this.#streamError(
                'ended_at_once',
                'the upstream ended the session stream before it carried anything',
              ),
        (error: unknown) =>
          this.#streamError('dropped', `the session stream dropped: ${(error as Error).message}`),
      );
    });
    this.#stream = req;
    req.once('error', (error) =>
      this.#streamError(
        'dropped',
        `the session stream dropped: ${connectionError(error, false).message}`,
      ),
    );
    req.end();
  }

  /** Abort the session stream, `DELETE` the session (best effort, bounded), drop connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream?.destroy();
    this.#stream = undefined;
    if (this.sessionId !== undefined) await this.#deleteSession().catch(() => undefined);
    this.#agent.destroy();
    this.onclose?.();
  }

  /**
   * The headers of one request: the configured ones, then the protocol's; the token is read on
   * every request when there is a source, and its `Authorization` wins over a configured one.
   */
  #headers(accept: string): OutgoingHttpHeaders | Promise<OutgoingHttpHeaders> {
    const headers: OutgoingHttpHeaders =
      this.#fixed === undefined ? { accept } : { ...this.#fixed, accept };
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    if (this.#protocolVersion !== undefined)
      headers['mcp-protocol-version'] = this.#protocolVersion;
    const { getToken } = this.#upstream;
    if (getToken === undefined) return headers;
    // Read on every request: a rotated token is used at once. Never kept, never logged.
    return Promise.resolve(getToken()).then((token) => {
      if (token !== undefined && token !== '') {
        headers.authorization = `Bearer ${token}`;
        this.#tokens.add(token);
      }
      return headers;
    });
  }

  /** What a request with `headers` sent that the upstream may echo: its token, the configured values. */
  #sentSecrets(headers: OutgoingHttpHeaders): readonly (string | undefined)[] {
    const token = tokenIn(headers);
    return this.#headerSecrets.length === 0 ? [token] : [token, ...this.#headerSecrets];
  }

  /** A message parsed from `json`, with the tokens this transport sent masked in it. */
  #clean(value: unknown, json: string): unknown {
    return this.#tokens.maybeIn(json) ? this.#tokens.outOf(value) : value;
  }

  #post(
    body: string,
    headers: OutgoingHttpHeaders,
    flight: InFlight | undefined,
  ): Promise<IncomingMessage> {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const req = this.#send('POST', headers, body, resolve);
      if (flight !== undefined) flight.req = req;
      req.once('error', (error) => reject(connectionError(error, true)));
    });
  }

  #send(
    method: string,
    headers: OutgoingHttpHeaders,
    body: string | undefined,
    onResponse: (response: IncomingMessage) => void,
  ): ClientRequest {
    const { protocol, hostname, port, path } = this.#target;
    // A literal, not a spread of the target: the spread took V8's slow clone path, measured at
    // about 6 µs a request.
    const options = { protocol, hostname, port, path, method, headers, agent: this.#agent };
    const req = this.#request(options, onResponse);
    if (body !== undefined) req.end(body);
    return req;
  }

  /** Deliver an `application/json` answer: one message or a batch (`sent`: see `#deliver`). */
  #deliverJson(
    text: string,
    waiting: Set<unknown>,
    sent: readonly (string | undefined)[],
    extra?: RelatedExtra,
  ): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpTransportError(
        'bad_answer',
        // Redacted before the cut: a token cut in half would not be found.
        `the upstream's answer is not JSON: ${redact(text.slice(0, 1024), sent).slice(0, 200)}`,
        true,
      );
    }
    value = this.#clean(value, text);
    for (const entry of Array.isArray(value) ? (value as unknown[]) : [value])
      this.#deliver(entry, waiting, sent, extra);
  }

  /**
   * Hand on one message (with `extra`, the request whose answer carried it); an error answer
   * redacted of `sent`, what its request carried (its token, the configured header values).
   */
  #deliver(
    value: unknown,
    waiting: Set<unknown>,
    sent: readonly (string | undefined)[],
    extra?: RelatedExtra,
  ): void {
    if (!isRpcMessage(value)) {
      this.onerror?.(new Error(`the upstream sent a message that is not JSON-RPC 2.0`));
      return;
    }
    waiting.delete(answerIdOf(value));
    if ('error' in value) {
      const error = redactError(value.error, sent);
      this.onmessage?.(error === value.error ? value : { ...value, error }, extra);
    } else this.onmessage?.(value, extra);
  }

  /** Read an event stream to its end, delivering each `message` event (and telling `onEvent`). */
  #readStream(
    response: IncomingMessage,
    waiting: Set<unknown>,
    sent: readonly (string | undefined)[],
    extra?: RelatedExtra,
    onEvent?: () => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered = 0;
      const parser = createParser({
        onEvent: (event: EventSourceMessage) => {
          buffered = 0;
          if (event.data === '' || (event.event !== undefined && event.event !== 'message')) return;
          let value: unknown;
          try {
            value = JSON.parse(event.data);
          } catch {
            this.onerror?.(new Error(`the upstream sent an event that is not JSON`));
            return;
          }
          onEvent?.();
          this.#deliver(this.#clean(value, event.data), waiting, sent, extra);
        },
      });
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        buffered += text.length;
        if (buffered > MAX_ANSWER_BYTES) {
          reject(
            new HttpTransportError(
              'bad_answer',
              `the upstream sent an event larger than ${MAX_ANSWER_BYTES} bytes`,
              true,
            ),
          );
          response.destroy();
          return;
        }
        parser.feed(text);
      });
      response.once('end', () => resolve());
      settleOnFailure(response, reject);
    });
  }

  #streamError(kind: HttpTransportErrorKind, message: string): void {
    this.#openStreamNumber = 0;
    if (this.#closed || this.#stream === undefined) return;
    this.#stream = undefined;
    this.onerror?.(new HttpTransportError(kind, message, false));
  }

  async #deleteSession(): Promise<void> {
    const headers = await this.#headers(ACCEPT_POST);
    await new Promise<void>((resolve) => {
      const req = this.#send('DELETE', headers, undefined, (response) => {
        response.resume();
        response.once('end', resolve);
      });
      const timer = setTimeout(() => req.destroy(), DELETE_TIMEOUT_MS);
      timer.unref();
      req.once('error', () => undefined);
      req.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      req.end();
    });
  }
}

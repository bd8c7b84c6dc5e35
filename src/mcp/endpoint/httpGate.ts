// @internal The checks every toolflight MCP endpoint makes before it reads a body: the Host
// header (DNS rebinding), the browser Origin, the path, the method, then the bearer token.
// Shared by the loopback server and the proxy, so that both refuse the same way.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';

import { hostAllowed, isLoopbackOrigin } from '../../http/loopbackHosts.js';
import { pathOf, replyError, RpcCode } from './httpReplies.js';
import { parseMessages, type ParsedMessages } from './parseMessages.js';
import { readBody, type BodyLimits } from './readBody.js';

/** What one endpoint accepts. */
export interface GateRules<R> {
  /** Accepted `Host` header values, lower case. */
  readonly hosts: ReadonlySet<string>;
  /** The endpoint's path, e.g. `/mcp`. */
  readonly path: string;
  /** The caller's role for an `Authorization` header, or undefined when it matches nothing. */
  readonly authorize: (authorization: string | undefined) => R | undefined;
  /** Whether the endpoint has sessions, which a `DELETE` ends. Default false: GET and POST. */
  readonly sessions?: boolean;
}

const hasBody = (req: IncomingMessage): boolean =>
  (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;

/** Refuse before the body was read; a body we will not read also ends the connection. */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  replyError(res, status, RpcCode.server, message, { headers, close: hasBody(req) });
}

/**
 * Admit a `GET` or `POST` (and a `DELETE` where there are sessions) to the endpoint, or answer the refusal (403, 404, 405, 401) and
 * return undefined. The origin is checked before the token: a page in a browser must learn
 * nothing, not even whether a token would do.
 */
export function admitRequest<R>(
  rules: GateRules<R>,
  req: IncomingMessage,
  res: ServerResponse,
): R | undefined {
  if (!hostAllowed(req.headers.host, rules.hosts)) {
    refuse(req, res, 403, 'Forbidden: the Host header does not name this loopback server');
    return undefined;
  }
  if (!isLoopbackOrigin(req.headers.origin)) {
    refuse(req, res, 403, 'Forbidden: browser pages of other origins may not call it');
    return undefined;
  }
  if (pathOf(req) !== rules.path) {
    refuse(req, res, 404, `Not Found: the MCP endpoint is ${rules.path}`);
    return undefined;
  }
  const ends = rules.sessions === true && req.method === 'DELETE';
  if (req.method !== 'POST' && req.method !== 'GET' && !ends) {
    const message = rules.sessions
      ? 'Method Not Allowed: POST messages, GET the SSE stream, DELETE the session'
      : 'Method Not Allowed: POST messages, GET the SSE stream';
    refuse(req, res, 405, message, { Allow: rules.sessions ? 'GET, POST, DELETE' : 'GET, POST' });
    return undefined;
  }
  const role = rules.authorize(req.headers.authorization);
  if (role === undefined) {
    refuse(req, res, 401, 'Unauthorized: send "Authorization: Bearer <token>"', {
      'WWW-Authenticate': 'Bearer realm="toolflight"',
    });
  }
  return role;
}

/**
 * Read a POST's JSON-RPC body, or answer why not (415, 413, 408, 400 with -32700 or -32600) and
 * resolve undefined; also undefined when the peer went away first.
 */
export async function readRpcBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
): Promise<Extract<ParsedMessages, { ok: true }> | undefined> {
  if (!isJsonContentType(req.headers['content-type'])) {
    refuse(req, res, 415, 'Unsupported Media Type: send Content-Type: application/json');
    return undefined;
  }
  const read = await readBody(req, limits);
  if (read.kind === 'closed') return undefined;
  if (read.kind === 'too_large') {
    const message = `Payload Too Large: a body may have at most ${limits.maxBodyBytes} bytes`;
    replyError(res, 413, RpcCode.server, message, { close: true });
    return undefined;
  }
  if (read.kind === 'timed_out') {
    const message = `Request Timeout: the body did not arrive within ${limits.bodyTimeoutMs} ms`;
    replyError(res, 408, RpcCode.server, message, { close: true });
    return undefined;
  }
  const parsed = parseMessages(read.text);
  if (!parsed.ok) {
    replyError(res, 400, parsed.code, parsed.message);
    return undefined;
  }
  return parsed;
}

// @internal The path of one HTTP request through the loopback server: the checks that need no
// body, admission to the tracker, the body, JSON-RPC shape, then the SDK.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';

import type { BearerTokens } from './bearerTokens.js';
import { CAPTURE_HEADER, MCP_PATH } from './LoopbackServer.js';
import { originAllowed, pathOf, replyError, RpcCode } from './httpReplies.js';
import { parseMessages } from './parseMessages.js';
import { readBody } from './readBody.js';
import { connectRequestServer, type ServerDeps } from './requestServer.js';
import { RequestScope } from './requestScope.js';
import type { SseStreams } from './sseStreams.js';

/** What the request path of one server needs. */
export interface HttpDeps extends ServerDeps {
  readonly tokens: BearerTokens;
  /** Accepted `Host` header values, lower case. */
  readonly hosts: ReadonlySet<string>;
  readonly streams: SseStreams;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
}

const hasBody = (req: IncomingMessage): boolean =>
  (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;

/** Refuse before the body was read; a body we will not read also ends the connection. */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  replyError(res, status, RpcCode.server, message, { headers, close: hasBody(req) });
}

/**
 * Serve one request. It answers every refusal itself; it rejects only on a failure of its own
 * (the caller answers 500 or drops the connection).
 */
export async function handleHttpRequest(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { tracker, logger } = deps;
  const host = req.headers.host;
  if (host === undefined || !deps.hosts.has(host.toLowerCase())) {
    return refuse(req, res, 403, 'Forbidden: the Host header does not name this loopback server');
  }
  // Before auth: a page in a browser must learn nothing, not even whether a token would do.
  if (!originAllowed(req.headers.origin)) {
    return refuse(req, res, 403, 'Forbidden: browser pages of other origins may not call it');
  }
  if (pathOf(req) !== MCP_PATH) {
    return refuse(req, res, 404, `Not Found: the MCP endpoint is ${MCP_PATH}`);
  }
  if (req.method !== 'POST' && req.method !== 'GET') {
    return refuse(req, res, 405, 'Method Not Allowed: POST messages, GET the SSE stream', {
      Allow: 'GET, POST',
    });
  }
  const role = deps.tokens.match(req.headers.authorization);
  if (role === undefined) {
    return refuse(req, res, 401, 'Unauthorized: send "Authorization: Bearer <token>"', {
      'WWW-Authenticate': 'Bearer realm="toolflight"',
    });
  }
  if (req.method === 'GET') {
    const scope = new RequestScope(role, undefined, undefined);
    return deps.streams.serve(req, res, role === 'owner', await connectRequestServer(deps, scope));
  }

  const header = req.headers[CAPTURE_HEADER];
  const capture = typeof header === 'string' ? header : undefined;
  const safely = (command: () => unknown): void => {
    try {
      command();
    } catch (error) {
      logger?.warn(`toolflight could not record a request: ${String(error)}`);
    }
  };
  // Admitted before the body is read: an upload in progress keeps the capture busy.
  const request = tracker.requestStarted(capture);
  const scope = new RequestScope(role, capture, request);
  res.once('finish', () =>
    safely(() => tracker.requestFinished(request, { status: res.statusCode })),
  );
  res.once('close', () => {
    if (res.writableFinished) return;
    scope.goneAway();
    safely(() => tracker.requestFinished(request));
  });

  if (!isJsonContentType(req.headers['content-type'])) {
    return refuse(req, res, 415, 'Unsupported Media Type: send Content-Type: application/json');
  }
  const read = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  if (read.kind === 'closed') return;
  if (read.kind === 'too_large') {
    const message = `Payload Too Large: a body may have at most ${deps.maxBodyBytes} bytes`;
    return replyError(res, 413, RpcCode.server, message, { close: true });
  }
  if (read.kind === 'timed_out') {
    const message = `Request Timeout: the body did not arrive within ${deps.bodyTimeoutMs} ms`;
    return replyError(res, 408, RpcCode.server, message, { close: true });
  }
  const parsed = parseMessages(read.text);
  if (!parsed.ok) return replyError(res, 400, parsed.code, parsed.message);
  safely(() => tracker.requestClassified(request, { method: parsed.method }));
  if (scope.gone) return;
  const connected = await connectRequestServer(deps, scope);
  res.once('close', () => {
    connected.server.close().catch((error: unknown) => {
      logger?.warn(`could not close a request's MCP server: ${String(error)}`);
    });
  });
  await connected.transport.handleRequest(req, res, parsed.body);
}

// @internal The path of one HTTP request through the loopback server: the checks that need no
// body, admission to the tracker, the body, JSON-RPC shape, then the SDK.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { BearerTokens } from './bearerTokens.js';
import { type LoopbackRole } from './LoopbackServer.js';
import { admitRequest, readRpcBody } from '../endpoint/httpGate.js';
import type { BodyLimits } from '../endpoint/readBody.js';
import { connectRequestServer, type ServerDeps } from './requestServer.js';
import { RequestScope } from './requestScope.js';
import type { SseStreams } from '../endpoint/sseStreams.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { trackRequest } from '../endpoint/trackRequest.js';
import { MCP_PATH } from '../endpoint/Endpoint.js';

/** What the request path of one server needs. */
export interface HttpDeps extends ServerDeps, BodyLimits {
  readonly tokens: BearerTokens;
  /** Accepted `Host` header values, lower case. */
  readonly hosts: ReadonlySet<string>;
  readonly streams: SseStreams<LoopbackRole>;
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
  const role = admitRequest(
    { hosts: deps.hosts, path: MCP_PATH, authorize: (header) => deps.tokens.match(header) },
    req,
    res,
  );
  if (role === undefined) return;
  if (req.method === 'GET') return deps.streams.serve(req, res, role);

  // Admitted before the body is read; a dropped connection abandons the request's calls.
  const { capture, request } = trackRequest(tracker, req, res, logger, () => scope.goneAway());
  const scope = new RequestScope(role, capture, request);

  const parsed = await readRpcBody(req, res, deps);
  if (parsed === undefined) return;
  recordSafely(logger, 'a request', () =>
    tracker.requestClassified(request, { method: parsed.method }),
  );
  if (scope.gone) return;
  const connected = await connectRequestServer(deps, scope);
  res.once('close', () => {
    connected.server.close().catch((error: unknown) => {
      logger?.warn(`could not close a request's MCP server: ${String(error)}`);
    });
  });
  await connected.transport.handleRequest(req, res, parsed.body);
}

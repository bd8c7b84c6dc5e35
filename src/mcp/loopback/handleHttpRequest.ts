// @internal The path of one HTTP request through the loopback server: the checks that need no
// body, admission to the tracker, the body, JSON-RPC shape, then the SDK.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { type LoopbackRole } from './LoopbackServer.js';
import { admitAgent, type AgentGate } from '../endpoint/admitAgent.js';
import { readRpcBody } from '../endpoint/httpGate.js';
import type { BodyLimits } from '../endpoint/readBody.js';
import { connectRequestServer, type ServerDeps } from './requestServer.js';
import { RequestScope } from './requestScope.js';
import type { SseStreams } from '../endpoint/sseStreams.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { streamAllowed, trackRequest, type TrackingDeps } from '../endpoint/trackRequest.js';

/** What the request path of one server needs. */
export interface HttpDeps extends ServerDeps, BodyLimits, AgentGate<LoopbackRole>, TrackingDeps {
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
  const claim = admitAgent(deps, req, res);
  if (claim === undefined) return;
  const { role, capture } = claim;
  if (req.method === 'GET') {
    if (streamAllowed(deps, capture, req, res))
      await deps.streams.serve(req, res, role, `${role}:${capture}`);
    return;
  }

  // Admitted before the body is read; a dropped connection abandons the request's calls.
  const tracked = trackRequest(deps, capture, req, res, () => scope.goneAway());
  if (tracked === undefined) return;
  const scope = new RequestScope(role, capture, tracked.request);
  const { request } = tracked;

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

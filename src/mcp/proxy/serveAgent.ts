// @internal One HTTP request from an agent: the loopback server's checks and auth, admission
// to the tracker before the body is read, then each message answered through an SDK transport.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';

import type { RequestHandle } from '../../tracker/handles.js';

import { admitAgent, type AgentGate } from '../endpoint/admitAgent.js';
import { readRpcBody } from '../endpoint/httpGate.js';
import type { BodyLimits } from '../endpoint/readBody.js';
import type { SseStreams } from '../endpoint/sseStreams.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { streamAllowed, trackRequest, type TrackingDeps } from '../endpoint/trackRequest.js';
import { answerAgent } from './answerAgent.js';
import type { CallDeps } from './forwardCall.js';
import { isRequest } from './rpcAnswers.js';

/** The one role of the proxy's credentials: agents are not told apart by ownership here. */
export type AgentRole = 'agent';

/** What the request path of one proxy needs. */
export interface AgentDeps extends CallDeps, BodyLimits, AgentGate<AgentRole>, TrackingDeps {
  readonly streams: SseStreams;
}

const ignore = (): void => undefined;

/** True when a request asks for progress: its answer then streams as SSE, progress first. */
const wantsProgress = (message: JSONRPCMessage): boolean =>
  isRequest(message) && message.params?._meta?.progressToken !== undefined;

/**
 * True when the SDK transport would accept the request and answer it as plain JSON: the client
 * accepts both JSON and SSE and names no protocol version we do not know. Anything else goes
 * through the SDK transport, which gives the refusals (406, 400) their standard form.
 */
function plainJsonAllowed(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  const version = req.headers['mcp-protocol-version'];
  return (
    accept.includes('application/json') &&
    accept.includes('text/event-stream') &&
    (version === undefined ||
      (typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version)))
  );
}

/**
 * The fast path: answer every message, then write one JSON reply (202 when there is nothing to
 * answer), the same form the SDK's stateless JSON mode writes, without its per-request
 * conversion of the Node request into a web `Request`.
 */
async function answerAsJson(
  deps: AgentDeps,
  res: ServerResponse,
  messages: readonly JSONRPCMessage[],
  request: RequestHandle | undefined,
  scope: string,
): Promise<void> {
  const route = { scope, onNotification: ignore };
  const answers =
    messages.length === 1
      ? [await answerAgent(deps, messages[0]!, request, route)]
      : await Promise.all(messages.map((m) => answerAgent(deps, m, request, route)));
  const replies = answers.filter((answer) => answer !== undefined);
  if (res.destroyed) return;
  if (replies.length === 0) {
    res.writeHead(202).end();
    return;
  }
  const body = JSON.stringify(replies.length === 1 ? replies[0] : replies);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Serve one request; answers every refusal itself, rejects only on a failure of its own. */
export async function serveAgent(
  deps: AgentDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { tracker, logger } = deps;
  const claim = admitAgent(deps, req, res);
  if (claim === undefined) return;
  const { capture } = claim;
  if (req.method === 'GET') {
    if (streamAllowed(deps, capture, req, res))
      await deps.streams.serve(req, res, undefined, capture);
    return;
  }

  // Admitted before the body is read: an upload in progress keeps the capture busy.
  const tracked = trackRequest(deps, capture, req, res);
  if (tracked === undefined) return;
  const { request } = tracked;
  const parsed = await readRpcBody(req, res, deps);
  if (parsed === undefined) return;
  recordSafely(logger, 'a request', () =>
    tracker.requestClassified(request, { method: parsed.method }),
  );

  const messages = Array.isArray(parsed.body) ? parsed.body : [parsed.body];
  // An agent that goes away before its answers were written: the upstream is told to stop,
  // and those calls' outcome is unknown (the upstream may have acted), as on the loopback server.
  res.once('close', () => {
    if (res.writableFinished) return;
    for (const message of messages) {
      if (!isRequest(message)) continue;
      const reason = 'the agent went away before the result was delivered';
      const cancel = {
        jsonrpc: '2.0' as const,
        method: 'notifications/cancelled' as const,
        params: { requestId: message.id, reason },
      };
      deps.link.notify(cancel, capture, true).catch(() => undefined);
    }
  });
  if (!messages.some(wantsProgress) && plainJsonAllowed(req)) {
    return answerAsJson(deps, res, messages, request, capture);
  }
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !messages.some(wantsProgress),
  });
  transport.onmessage = (message) => {
    const related = isRequest(message) ? { relatedRequestId: message.id } : undefined;
    const relay = (notification: JSONRPCMessage): void =>
      void transport.send(notification, related).catch(() => undefined);
    answerAgent(deps, message, request, { scope: capture, onNotification: relay })
      .then((answer) => (answer === undefined ? undefined : transport.send(answer, related)))
      .catch((error: unknown) => logger?.warn(`could not answer an agent: ${String(error)}`));
  };
  transport.onerror = (error) => logger?.warn(`proxy transport: ${error.message}`);
  await transport.start();
  res.once('close', () => void transport.close().catch(() => undefined));
  await transport.handleRequest(req, res, parsed.body);
}

// @internal The path of one HTTP request through the loopback server: the checks that need no
// body, admission to the tracker, the body, JSON-RPC shape, then its session: `initialize`
// opens one, a request that names one (`Mcp-Session-Id`) is answered by that session's server,
// and a request without one by a server of its own, as a stateless server answers.
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  isJSONRPCNotification,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import type { StreamSlots } from '../../http/streamSlots.js';
import { STREAM_RETRY_AFTER_S } from '../../http/streamSlots.js';
import { admitAgent, type AgentGate } from '../endpoint/admitAgent.js';
import { readRpcBody, refuse } from '../endpoint/httpGate.js';
import { replyError, replyUnavailable } from '../endpoint/httpReplies.js';
import {
  initializeOf,
  initializeProblem,
  plainAllowed,
  refuseSecondInitialize,
  refuseThroughSdk,
} from '../endpoint/postChecks.js';
import { PostReply } from '../endpoint/postReply.js';
import type { BodyLimits } from '../endpoint/readBody.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { rpcError } from '../endpoint/rpcShape.js';
import type { SessionNotes, SessionRegistry } from '../endpoint/sessionRegistry.js';
import type { SseStreams } from '../endpoint/sseStreams.js';
import { streamAllowed, trackRequest, type TrackingDeps } from '../endpoint/trackRequest.js';
import { AgentAsks, type AskNote } from './agentAsks.js';
import type { LoopbackRole } from './LoopbackServer.js';
import type { LoopbackSession } from './loopbackSession.js';
import { loopbackMcpServer, type ServerDeps } from './mcpServer.js';
import { PostChannel } from './postChannel.js';
import { claimOf, RequestScope } from './requestScope.js';
import { openedFacts, rpcFactsOf } from '../endpoint/rpcFacts.js';

/** What the request path of one server needs. */
export interface HttpDeps extends ServerDeps, BodyLimits, AgentGate<LoopbackRole>, TrackingDeps {
  /** Streams opened without a session: `list_changed` for stateless agents. */
  readonly streams: SseStreams<LoopbackRole>;
  readonly slots: StreamSlots;
  readonly sessions: SessionRegistry<LoopbackSession>;
  /** `session.opened` (the registry notes `session.closed`). */
  readonly sessionNotes: SessionNotes;
  /** A new session of `role` and `capture`, or why not. */
  readonly openSession: (
    role: LoopbackRole,
    capture: string,
  ) => LoopbackSession | { readonly full: string };
  readonly note: (capture: string) => AskNote;
}

const SESSION_HEADER = 'mcp-session-id';

const hasInitialize = (messages: readonly JSONRPCMessage[]): boolean =>
  messages.some((message) => isJSONRPCRequest(message) && message.method === 'initialize');

/** The live session a request names, or the refusal answered (404 for an unknown one). */
function namedSession(
  deps: HttpDeps,
  id: string,
  role: LoopbackRole,
  capture: string,
  res: ServerResponse,
): LoopbackSession | undefined {
  const session = deps.sessions.find(id, claimOf(role, capture));
  if (session === undefined) {
    // Unknown, ended, or another credential's: the same answer, so an id alone tells nothing.
    replyError(res, 404, -32001, 'Session not found: initialize a new session');
    return undefined;
  }
  session.touch();
  return session;
}

/**
 * Cancel what each `notifications/cancelled` names, and return the other messages. The SDK
 * server never sees a cancellation of a tool call: it would drop the call's answer, and leave
 * the call's POST without one for good; here the call ends `cancelled` and its POST gets that
 * result (which the agent ignores). A call may be on another POST, or not have arrived yet: the
 * cancellation is kept for it a while. Any other request of the session still open (a
 * `prompts/get`, say) is answered -32800 and its handler's signal aborted.
 */
function cancelNamed(
  deps: HttpDeps,
  scope: RequestScope,
  messages: readonly JSONRPCMessage[],
  session: LoopbackSession | undefined,
): JSONRPCMessage[] {
  return messages.filter((message) => {
    if (!isJSONRPCNotification(message) || message.method !== 'notifications/cancelled') {
      return true;
    }
    const { requestId, reason } = (message.params ?? {}) as {
      requestId?: RequestId;
      reason?: unknown;
    };
    if (typeof requestId === 'string' || typeof requestId === 'number') {
      const why = typeof reason === 'string' ? reason : 'cancelled by the client';
      if (deps.pending.has(scope.cancelScope, requestId)) {
        deps.pending.cancel(scope.cancelScope, requestId, why);
      } else if (session?.channel.cancel(requestId, why, message) !== true) {
        deps.pending.cancel(scope.cancelScope, requestId, why);
      }
    }
    return false;
  });
}

/** Answer a POST without a session on a server of its own, as a stateless server does. */
async function answerAlone(
  deps: HttpDeps,
  scope: RequestScope,
  messages: readonly JSONRPCMessage[],
  res: ServerResponse,
  extra: MessageExtraInfo,
): Promise<void> {
  const channel = new PostChannel<RequestScope>(undefined, new AgentAsks(deps.note(scope.capture)));
  const server = loopbackMcpServer(deps, channel, undefined);
  res.once('close', () => {
    server.close().catch((error: unknown) => {
      deps.logger?.warn(`could not close a request's MCP server: ${String(error)}`);
    });
  });
  await channel.post(messages, scope, new PostReply(res, {}, !deps.jsonResponse), extra);
}

/** Serve a GET: a session's stream, or without a session the stateless `list_changed` stream. */
async function serveStream(
  deps: HttpDeps,
  role: LoopbackRole,
  capture: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!streamAllowed(deps, capture, req, res)) return;
  const credential = claimOf(role, capture);
  const id = req.headers[SESSION_HEADER];
  if (typeof id !== 'string') {
    await deps.streams.serve(req, res, role, credential);
    return;
  }
  const session = namedSession(deps, id, role, capture, res);
  if (session === undefined) return;
  await session.stream.serve(req, res, deps.slots, credential, () => session.hold());
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
  const id = req.headers[SESSION_HEADER];
  if (req.method === 'GET') return serveStream(deps, role, capture, req, res);
  if (req.method === 'DELETE') {
    // As every method: the credential's capture answers first (409 when it is not live).
    if (!streamAllowed(deps, capture, req, res)) return;
    if (typeof id !== 'string') {
      refuse(
        req,
        res,
        400,
        'Bad Request: Mcp-Session-Id header is required: DELETE ends the session it names',
      );
      return;
    }
    const session = namedSession(deps, id, role, capture, res);
    // The SDK transport checks the headers, ends the session (its `onclose`) and answers.
    if (session !== undefined) await session.stream.transport.handleRequest(req, res);
    return;
  }

  // Admitted before the body is read; a dropped connection abandons the request's calls.
  let scope: RequestScope | undefined;
  const tracked = trackRequest(deps, capture, req, res, () => scope?.goneAway());
  if (tracked === undefined) return;
  const parsed = await readRpcBody(req, res, deps);
  if (parsed === undefined) return;
  const { request } = tracked;
  const rpc = rpcFactsOf(parsed.body, req);
  recordSafely(logger, 'a request', () =>
    tracker.requestClassified(request, { method: parsed.method, rpc }),
  );
  if (res.destroyed) return;

  const opening = typeof id === 'string' ? undefined : initializeOf(parsed.body);
  if (opening !== undefined) {
    const invalid = initializeProblem(opening);
    if (invalid !== undefined) {
      // Answered like any request with bad params, and no session opens for it.
      new PostReply(res).finish([rpcError(opening.id, -32602, invalid)]);
      return;
    }
    const opened = deps.openSession(role, capture);
    if ('full' in opened) {
      replyUnavailable(res, `Service Unavailable: ${opened.full}`, STREAM_RETRY_AFTER_S);
      return;
    }
    scope = new RequestScope(role, capture, request, opened.id);
    await opened.initialize(req, res, parsed.body, scope);
    if (res.statusCode < 400 && !opened.ended) {
      // The SDK server answers with the version asked for when it speaks it, else its latest.
      const asked = (opening.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
      const protocolVersion =
        typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked)
          ? asked
          : LATEST_PROTOCOL_VERSION;
      const params = { ...(opening.params as object | undefined), protocolVersion };
      deps.sessionNotes.opened(opened, capture, openedFacts(opened.id, params, req));
    }
    return;
  }
  const session = typeof id === 'string' ? namedSession(deps, id, role, capture, res) : undefined;
  if (typeof id === 'string' && session === undefined) return;
  const messages = Array.isArray(parsed.body) ? parsed.body : [parsed.body];
  if (session !== undefined && hasInitialize(messages)) {
    refuseSecondInitialize(res);
    return;
  }
  if (!plainAllowed(req)) return refuseThroughSdk(req, res, parsed.body);
  scope = new RequestScope(role, capture, request, session?.id);
  const rest = cancelNamed(deps, scope, messages, session);
  const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
  if (session !== undefined) await session.post(rest, scope, res, extra);
  else await answerAlone(deps, scope, rest, res, extra);
}

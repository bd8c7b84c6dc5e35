// @internal One HTTP request from an agent: the loopback server's checks and auth, admission
// to the tracker before the body is read, then its session: `initialize` opens one, every other
// request names it (`Mcp-Session-Id`) and is answered through that session's upstream session.
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeRequestParams,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

import type { RequestHandle } from '../../tracker/handles.js';

import { admitAgent, type AgentGate } from '../endpoint/admitAgent.js';
import { readRpcBody, refuse } from '../endpoint/httpGate.js';
import { replyError, replyUnavailable, RpcCode } from '../endpoint/httpReplies.js';
import {
  initializeOf,
  initializeProblem,
  plainAllowed,
  refuseSecondInitialize,
  refuseThroughSdk,
  unsupportedVersion,
} from '../endpoint/postChecks.js';
import { PostReply } from '../endpoint/postReply.js';
import type { BodyLimits } from '../endpoint/readBody.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { streamAllowed, trackRequest, type TrackingDeps } from '../endpoint/trackRequest.js';
import { STREAM_RETRY_AFTER_S, type StreamSlots } from '../../http/streamSlots.js';
import type { AgentSession } from './agentSession.js';
import type { AgentSessions } from './agentSessions.js';
import { answerAgent, initializeAnswer } from './answerAgent.js';
import type { CallDeps } from './forwardCall.js';
import { rpcError } from '../endpoint/rpcShape.js';
import { isRequest } from './rpcAnswers.js';

/** The one role of the proxy's credentials: agents are not told apart by ownership here. */
export type AgentRole = 'agent';

/** What the request path of one proxy needs. */
export interface AgentDeps extends CallDeps, BodyLimits, AgentGate<AgentRole>, TrackingDeps {
  readonly sessions: AgentSessions;
  readonly slots: StreamSlots;
}

const SESSION_HEADER = 'mcp-session-id';

/**
 * The hello an agent's own upstream session sends (what the agent declared, nothing more), or
 * why its `initialize` params are malformed (the SDK's schema decides).
 */
function helloOf(request: JSONRPCRequest): InitializeRequestParams | { readonly invalid: string } {
  const invalid = initializeProblem(request);
  if (invalid !== undefined) return { invalid };
  // As the agent sent them, not as parsed: the schema drops keys it does not know, and what the
  // agent declared travels upstream unchanged.
  const params = request.params as unknown as InitializeRequestParams;
  return {
    protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(params.protocolVersion)
      ? params.protocolVersion
      : SUPPORTED_PROTOCOL_VERSIONS[0]!,
    capabilities: params.capabilities,
    clientInfo: params.clientInfo,
  };
}

/** The live session a request names, or the refusal answered (400 without one, 404 unknown). */
function sessionOf(
  deps: AgentDeps,
  capture: string,
  req: IncomingMessage,
  res: ServerResponse,
): AgentSession | undefined {
  const id = req.headers[SESSION_HEADER];
  if (typeof id !== 'string' || id === '') {
    refuse(
      req,
      res,
      400,
      'Bad Request: Mcp-Session-Id header is required: send initialize first, then the session id it answered with on every request',
    );
    return undefined;
  }
  const session = deps.sessions.find(id, capture);
  if (session === undefined) {
    // Unknown, ended, or another capture's: the same answer, so an id alone tells nothing.
    replyError(res, 404, -32001, 'Session not found: initialize a new session');
    return undefined;
  }
  session.touch();
  return session;
}

/** Open a session for an `initialize` and answer it through the session's SDK transport. */
async function openSession(
  deps: AgentDeps,
  capture: string,
  request: JSONRPCRequest,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const hello = helloOf(request);
  if ('invalid' in hello) {
    // Answered like any request with bad params, and no session opens for it.
    new PostReply(res).finish([rpcError(request.id, -32602, hello.invalid)]);
    return;
  }
  const opened = deps.sessions.open(capture, hello);
  if ('full' in opened) {
    replyUnavailable(res, `Service Unavailable: ${opened.full}`, STREAM_RETRY_AFTER_S);
    return;
  }
  const session = opened;
  const { transport } = session.stream;
  transport.onmessage = (message) => {
    // Only the opening initialize arrives here: every later POST of the session is answered
    // on the fast path, or refused by the transport before it reads a message.
    if (!isRequest(message) || message.method !== 'initialize') return;
    initializeAnswer(deps, session, message)
      .then((answer) => transport.send(answer, { relatedRequestId: message.id }))
      .catch((error: unknown) =>
        deps.logger?.warn(`could not answer initialize: ${String(error)}`),
      );
  };
  transport.onerror = (error) => deps.logger?.warn(`proxy session transport: ${error.message}`);
  await transport.start();
  await transport.handleRequest(req, res, body);
  // A refused initialize (a bad protocol version header, say) opened nothing the agent knows.
  if (res.statusCode >= 400) await session.end('initialize was refused');
}

/** Answer every message of a session's POST, related messages first, on one reply. */
async function answerMessages(
  deps: AgentDeps,
  session: AgentSession,
  res: ServerResponse,
  messages: readonly JSONRPCMessage[],
  request: RequestHandle | undefined,
): Promise<void> {
  const reply = new PostReply(res, { 'mcp-session-id': session.id });
  // A call in progress (one waiting on a person's answer, say) is not an idle session.
  const release = session.hold();
  res.once('close', release);
  const toAgent = (message: JSONRPCMessage): void => {
    // The reply already ended (the agent went away): the session's GET stream keeps it.
    if (!reply.event(message)) session.toStream(message);
  };
  const route = {
    scope: session.id,
    onNotification: toAgent,
    onRelated: (message: Parameters<AgentSession['fromUpstream']>[0], toolCall?: string) => {
      const upstream = session.link.session;
      if (upstream !== undefined) session.fromUpstream(message, upstream, toAgent, toolCall);
    },
  };
  const answers =
    messages.length === 1
      ? [await answerAgent(deps, session, messages[0]!, request, route)]
      : await Promise.all(messages.map((m) => answerAgent(deps, session, m, request, route)));
  reply.finish(answers.filter((answer) => answer !== undefined));
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
  // Every method answers for the credential's capture before the session it names, as for auth:
  // a capture that is not live gets its 409 (what the host must do), never a 404 that would send
  // the agent to initialize again only to be refused the same way.
  if (req.method === 'DELETE') {
    if (!streamAllowed(deps, capture, req, res)) return;
    const session = sessionOf(deps, capture, req, res);
    if (session === undefined) return;
    // The SDK transport's order: the session first, then the version; the session stays.
    const unsupported = unsupportedVersion(req);
    if (unsupported !== undefined) {
      replyError(res, 400, RpcCode.server, unsupported);
      return;
    }
    await session.end('the agent ended the session', { cancelCalls: true });
    res.writeHead(200).end();
    return;
  }
  if (req.method === 'GET') {
    if (!streamAllowed(deps, capture, req, res)) return;
    const session = sessionOf(deps, capture, req, res);
    if (session === undefined) return;
    await session.stream.serve(req, res, deps.slots, capture, () => session.hold());
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

  const opening = initializeOf(parsed.body);
  if (opening !== undefined && req.headers[SESSION_HEADER] === undefined) {
    return openSession(deps, capture, opening, req, res, parsed.body);
  }
  const session = sessionOf(deps, capture, req, res);
  if (session === undefined) return;
  if (opening !== undefined) {
    refuseSecondInitialize(res);
    return;
  }
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
      session.link.notify(cancel, session.id, true).catch(() => undefined);
    }
  });
  if (plainAllowed(req)) return answerMessages(deps, session, res, messages, request);
  // Headers the fast path does not take: the SDK's transport answers with its standard refusal.
  await refuseThroughSdk(req, res, parsed.body);
}

// @internal One HTTP request from an agent to an endpoint whose sessions each stand for
// upstream sessions (the proxy's one, the gateway's one per server): the loopback server's
// checks and auth, admission to the tracker before the body is read, then its session:
// `initialize` opens one, every other request names it (`Mcp-Session-Id`). What a session
// answers is its host's business (`SessionHost`); how requests reach it is the same for both.
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeRequestParams,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import type { RequestHandle } from '../../tracker/handles.js';
import { STREAM_RETRY_AFTER_S, type StreamSlots } from '../../http/streamSlots.js';
import { admitAgent, type AgentGate } from './admitAgent.js';
import { readRpcBody, refuse } from './httpGate.js';
import { replyError, replyUnavailable, RpcCode } from './httpReplies.js';
import {
  initializeOf,
  initializeProblem,
  plainAllowed,
  refuseSecondInitialize,
  refuseThroughSdk,
  unsupportedVersion,
} from './postChecks.js';
import { PostReply } from './postReply.js';
import type { BodyLimits } from './readBody.js';
import { recordSafely } from './recordSafely.js';
import { rpcError } from './rpcShape.js';
import type { RegisteredSession, SessionNotes, SessionRefusal } from './sessionRegistry.js';
import type { SessionStream } from './sessionStream.js';
import { baggageOf, openedFacts, rpcFactsOf, spanParentOf, type SpanParent } from './rpcFacts.js';
import { streamAllowed, trackRequest, type TrackingDeps } from './trackRequest.js';

/** The one role of these endpoints' credentials: agents are not told apart by ownership. */
export type AgentRole = 'agent';

/** Where a message for the agent goes: a POST's reply stream, else the session's GET stream. */
export type Deliver = (message: JSONRPCMessage) => void;

/** What the request path needs of one agent session. */
export interface ServedSession extends RegisteredSession {
  /** The SDK transport that answers `initialize`, and the GET stream with its replays. */
  readonly stream: SessionStream;
  /** The agent did something: the idle timeout starts over. */
  touch(): void;
  /** Not idle while the result is held (its GET stream, a POST being answered). */
  hold(): () => void;
  /** Send on the session's GET stream (kept for replay while none is open). */
  toStream(message: JSONRPCMessage): void;
  /** End the session; `cancelCalls` when the agent ended it (its calls end cancelled). */
  end(reason: string, options?: { readonly cancelCalls?: boolean }): Promise<void>;
}

/** What an endpoint does with its sessions: opens them, finds them, answers their messages. */
export interface SessionHost<S extends ServedSession> {
  /** A new session for an agent of `capture`, or why not (full, closed). */
  open(capture: string, hello: InitializeRequestParams): S | SessionRefusal;
  /** The live session of that id, if it belongs to `capture`. */
  find(id: string, capture: string): S | undefined;
  /**
   * The answer to the session's opening `initialize`; `span`: that request's, the parent of
   * what the host sends upstream for it.
   */
  initialize(session: S, request: JSONRPCRequest, span?: SpanParent): Promise<JSONRPCMessage>;
  /**
   * Answer one message of a POST (undefined for notifications and responses); `deliver` puts a
   * message related to it on that POST's reply stream.
   */
  answer(
    session: S,
    message: JSONRPCMessage,
    handle: RequestHandle | undefined,
    deliver: Deliver,
    span: SpanParent | undefined,
  ): Promise<JSONRPCMessage | undefined>;
  /** The agent went away before the answer to `id` was written: tell whoever works on it. */
  abandoned(session: S, id: RequestId, reason: string): void;
}

/** What the request path of one endpoint needs. */
export interface SessionEndpointDeps<S extends ServedSession>
  extends BodyLimits, AgentGate<AgentRole>, TrackingDeps {
  readonly host: SessionHost<S>;
  readonly slots: StreamSlots;
  /** Where `session.opened` goes (the registry notes `session.closed`). */
  readonly sessionNotes?: SessionNotes;
}

const SESSION_HEADER = 'mcp-session-id';

/** True for a request (a method and an id). */
const isRequest = (message: JSONRPCMessage): message is JSONRPCRequest =>
  'method' in message && 'id' in message;

/**
 * The hello an agent's own upstream sessions send (what the agent declared, nothing more), or
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
function sessionOf<S extends ServedSession>(
  deps: SessionEndpointDeps<S>,
  capture: string,
  req: IncomingMessage,
  res: ServerResponse,
): S | undefined {
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
  const session = deps.host.find(id, capture);
  if (session === undefined) {
    // Unknown, ended, or another capture's: the same answer, so an id alone tells nothing.
    replyError(res, 404, -32001, 'Session not found: initialize a new session');
    return undefined;
  }
  session.touch();
  return session;
}

/** Open a session for an `initialize` and answer it through the session's SDK transport. */
async function openSession<S extends ServedSession>(
  deps: SessionEndpointDeps<S>,
  capture: string,
  request: JSONRPCRequest,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  span: SpanParent,
): Promise<void> {
  const hello = helloOf(request);
  if ('invalid' in hello) {
    // Answered like any request with bad params, and no session opens for it.
    new PostReply(res).finish([rpcError(request.id, -32602, hello.invalid)]);
    return;
  }
  const opened = deps.host.open(capture, hello);
  if ('full' in opened) {
    replyUnavailable(res, `Service Unavailable: ${opened.full}`, STREAM_RETRY_AFTER_S);
    return;
  }
  const session = opened;
  const { transport } = session.stream;
  // The version the session speaks: the answer's, which may not be the one the agent asked.
  let negotiated: unknown;
  transport.onmessage = (message) => {
    // Only the opening initialize arrives here: every later POST of the session is answered
    // on the fast path, or refused by the transport before it reads a message.
    if (!isRequest(message) || message.method !== 'initialize') return;
    deps.host
      .initialize(session, message, span)
      .then((answer) => {
        if ('result' in answer) negotiated = answer.result.protocolVersion;
        return transport.send(answer, { relatedRequestId: message.id });
      })
      .catch((error: unknown) =>
        deps.logger?.warn(`could not answer initialize: ${String(error)}`),
      );
  };
  transport.onerror = (error) => deps.logger?.warn(`session transport: ${error.message}`);
  await transport.start();
  await transport.handleRequest(req, res, body);
  // A refused initialize (a bad protocol version header, say) opened nothing the agent knows.
  if (res.statusCode >= 400) {
    await session.end('initialize was refused');
    return;
  }
  // Ended meanwhile (the endpoint closing, the capture cleared): it never opened for the agent.
  if (session.ended) return;
  const version = typeof negotiated === 'string' ? negotiated : hello.protocolVersion;
  deps.sessionNotes?.opened(
    session,
    capture,
    openedFacts(session.id, { ...hello, protocolVersion: version }, req),
  );
}

/** Answer every message of a session's POST, related messages first, on one reply. */
async function answerMessages<S extends ServedSession>(
  deps: SessionEndpointDeps<S>,
  session: S,
  res: ServerResponse,
  messages: readonly JSONRPCMessage[],
  request: RequestHandle | undefined,
  span: SpanParent,
): Promise<void> {
  const reply = new PostReply(res, { 'mcp-session-id': session.id });
  // A call in progress (one waiting on a person's answer, say) is not an idle session.
  const release = session.hold();
  res.once('close', release);
  const toAgent: Deliver = (message) => {
    // The reply already ended (the agent went away): the session's GET stream keeps it.
    if (!reply.event(message)) session.toStream(message);
  };
  const answers =
    messages.length === 1
      ? [await deps.host.answer(session, messages[0]!, request, toAgent, span)]
      : await Promise.all(
          messages.map((m) => deps.host.answer(session, m, request, toAgent, span)),
        );
  reply.finish(answers.filter((answer) => answer !== undefined));
}

/** Serve one request; answers every refusal itself, rejects only on a failure of its own. */
export async function serveSessions<S extends ServedSession>(
  deps: SessionEndpointDeps<S>,
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
  const rpc = rpcFactsOf(parsed.body, req);
  recordSafely(logger, 'a request', () =>
    tracker.requestClassified(request, { method: parsed.method, rpc }),
  );
  const span = spanParentOf(capture, request?.id, rpc, baggageOf(parsed.body));

  const opening = initializeOf(parsed.body);
  if (opening !== undefined && req.headers[SESSION_HEADER] === undefined) {
    return openSession(deps, capture, opening, req, res, parsed.body, span);
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
      deps.host.abandoned(
        session,
        message.id,
        'the agent went away before the result was delivered',
      );
    }
  });
  if (plainAllowed(req)) return answerMessages(deps, session, res, messages, request, span);
  // Headers the fast path does not take: the SDK's transport answers with its standard refusal.
  await refuseThroughSdk(req, res, parsed.body);
}

// @internal What the proxy does with each message an agent sends in its session: intervene in
// `initialize`, `tools/list` and `tools/call`, pass the agent's answers to the upstream's
// questions back, forward everything else untouched over the session's own upstream session.
import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeResult,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

import type { RequestHandle } from '../../tracker/handles.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';
import type { AgentSession } from './agentSession.js';
import { forwardCall, proxyCallSession, type CallDeps } from './forwardCall.js';
import { rpcError } from '../endpoint/rpcShape.js';
import { answerOf, isNotification, isRequest } from './rpcAnswers.js';
import { PROXY_INFO } from './upstream/upstreamLink.js';
import type { AgentRouteOf } from './upstream/upstreamSession.js';
import { messageOf } from '../../errors.js';

/**
 * The agent's `initialize` answer: the upstream's own with `tools.listChanged` advertised. When
 * the proxy already knows the upstream's answer (its own session, or the one the outbox kept),
 * the agent gets it at once and its upstream session is opened behind it; otherwise (or when the
 * agent asked a protocol version the proxy does not speak, which its own upstream session
 * settles) the session connects first. A usable answer of the proxy's own while the upstream is
 * down. The session's upstream `initialize` is a child of `span`, the agent's.
 */
export async function initializeAnswer(
  deps: CallDeps,
  session: AgentSession,
  request: JSONRPCRequest,
  span?: SpanParent,
): Promise<JSONRPCMessage> {
  const asked = (request.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
  const supported = typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked);
  const known = deps.link.initialized ?? deps.catalog.keptInitialize;
  // A version the proxy does not speak gets the one the agent's own upstream session
  // negotiated (the upstream may answer each client its own): wait for it to be known.
  if (known === undefined || !supported) await session.link.ensure(span).catch(() => undefined);
  else void session.link.ensure(span).catch(() => undefined);
  const upstream: InitializeResult | undefined =
    session.link.initialized ?? deps.link.initialized ?? deps.catalog.keptInitialize;
  const protocolVersion = supported
    ? asked
    : (upstream?.protocolVersion ?? LATEST_PROTOCOL_VERSION);
  const result: InitializeResult = {
    ...upstream,
    protocolVersion,
    serverInfo: upstream?.serverInfo ?? PROXY_INFO,
    capabilities: {
      ...upstream?.capabilities,
      tools: { ...upstream?.capabilities.tools, listChanged: true },
    },
  };
  return { jsonrpc: '2.0', id: request.id, result };
}

async function listAnswer(
  session: AgentSession,
  request: JSONRPCRequest,
  span: SpanParent | undefined,
): Promise<JSONRPCMessage> {
  const listing = await session.tools.list(span);
  if (listing.kind === 'tools') {
    return { jsonrpc: '2.0', id: request.id, result: { tools: [...listing.tools] } };
  }
  return answerOf(request.id, listing.outcome);
}

/** Answer one message; undefined for notifications and responses (nothing to send back). */
export async function answerAgent(
  deps: CallDeps,
  session: AgentSession,
  message: JSONRPCMessage,
  handle: RequestHandle | undefined,
  route: AgentRouteOf,
): Promise<JSONRPCMessage | undefined> {
  if (isRequest(message)) {
    try {
      switch (message.method) {
        case 'initialize':
          return rpcError(
            message.id,
            -32600,
            'Invalid Request: this session is initialized already: DELETE it and initialize a new one',
          );
        case 'tools/list':
          return await listAnswer(session, message, route.span);
        case 'tools/call': {
          const callSession = proxyCallSession(deps, session, route.span);
          return await forwardCall(deps, callSession, message, handle, route);
        }
        default:
          return answerOf(message.id, await session.link.forward(message, route));
      }
    } catch (error) {
      const text = messageOf(error);
      return rpcError(message.id, -32603, `Internal error: ${text}`);
    }
  }
  if (!isNotification(message)) {
    // A response: the agent's answer to a question the upstream asked it.
    if (!session.answered(message)) {
      deps.logger?.warn('an agent answered a request nobody asked it (or asked it twice)');
    }
    return undefined;
  }
  // The session's upstream link initialized itself; every other notification goes on.
  if (message.method !== 'notifications/initialized') {
    await session.link.notify(message, route.scope).catch((error: unknown) => {
      deps.logger?.warn(`could not forward ${message.method}: ${String(error)}`);
    });
  }
  return undefined;
}

// @internal What the gateway does with each message an agent sends in its session: answer
// `initialize` and `ping` itself, merge the servers' lists under the gateway's names, route a
// call, a prompt, a resource or a completion to the server it belongs to (by name or URI), and
// pass the agent's answers and cancellations back to the server they are for.
import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeResult,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import { messageOf } from '../../errors.js';
import type { RequestHandle } from '../../tracker/handles.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';
import type { Deliver } from '../endpoint/serveSessions.js';
import { rpcError } from '../endpoint/rpcShape.js';
import { forwardCall, type CallDeps, type CallSession } from '../proxy/forwardCall.js';
import { answerOf, isNotification, isRequest } from '../proxy/rpcAnswers.js';
import type { AgentRouteOf } from '../proxy/upstream/upstreamSession.js';
import type { GatewaySession } from './gatewaySession.js';
import type { ServerPart } from './ServerPart.js';
import type { GatewayLists } from './gatewayLists.js';

/** The gateway's name and version, as a server to agents. */
export const GATEWAY_INFO = { name: 'toolflight-gateway', version: '0.1.0' };

/** What answering needs from the gateway. */
export type AnswerDeps = Pick<CallDeps, 'tracker' | 'logger'>;

/**
 * The agent's `initialize` answer: the gateway's own (it starts no server for it), with every
 * capability a server behind it may have; what a server lacks, the gateway answers empty.
 */
export function gatewayInitialize(request: JSONRPCRequest): JSONRPCMessage {
  const asked = (request.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
  const protocolVersion =
    typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked)
      ? asked
      : LATEST_PROTOCOL_VERSION;
  const result: InitializeResult = {
    protocolVersion,
    serverInfo: GATEWAY_INFO,
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      completions: {},
      logging: {},
    },
  };
  return { jsonrpc: '2.0', id: request.id, result };
}

/** The route of a request sent through `part`: related messages on the agent's reply stream. */
function routeThrough(
  session: GatewaySession,
  part: () => ServerPart | undefined,
  deliver: Deliver,
  span: SpanParent | undefined,
): AgentRouteOf {
  return {
    scope: session.id,
    span,
    onNotification: deliver,
    onRelated: (message, toolCall) => {
      const upstream = part()?.link.session;
      if (upstream !== undefined) session.relay(message, upstream, deliver, toolCall);
    },
  };
}

/** Send `request` through `part` and answer with what its server said. */
async function forwardTo(
  session: GatewaySession,
  part: ServerPart,
  request: JSONRPCRequest,
  deliver: Deliver,
  span: SpanParent | undefined,
): Promise<JSONRPCMessage> {
  const untrack = session.track(request.id, part);
  try {
    const outcome = await part.link.forward(
      request,
      routeThrough(session, () => part, deliver, span),
    );
    return answerOf(request.id, outcome);
  } finally {
    untrack();
  }
}

/** A `tools/call`: tracked as on the proxy, under the gateway name the agent called. */
async function callTool(
  deps: AnswerDeps,
  session: GatewaySession,
  request: JSONRPCRequest,
  handle: RequestHandle | undefined,
  deliver: Deliver,
  span: SpanParent | undefined,
): Promise<JSONRPCMessage> {
  let chosen: ServerPart | undefined;
  let untrack: (() => void) | undefined;
  const arrival = session.arrive(request.id);
  const call: CallSession = {
    capture: session.capture,
    resolve: async (name) => {
      // A cancel ends the wait for the lists at once; the listing goes on for the session.
      const target = await Promise.race([
        session.tools.resolve(name, span),
        arrival.whenCancelled.then((cancelled) => ({ cancelled })),
      ]);
      arrival.done();
      // Cancelled while it waited for a list: no server ever hears of it.
      const cancelled = arrival.cancelled();
      if (cancelled !== undefined) return { cancelled };
      if ('cancelled' in target || 'refused' in target) return target;
      const part = session.part(target.server);
      chosen = part;
      untrack = session.track(request.id, part);
      return {
        upstreamName: target.upstreamName,
        link: part.link,
        tools: part.tools,
        onUnreachable: part.server.unit.onUnreachable,
      };
    },
  };
  try {
    return await forwardCall(
      deps,
      call,
      request,
      handle,
      routeThrough(session, () => chosen, deliver, span),
    );
  } finally {
    arrival.done();
    untrack?.();
  }
}

/** A request routed by what it names: the answer, or the SDK's own answer for an unknown one. */
async function routed(
  session: GatewaySession,
  lists: GatewayLists,
  request: JSONRPCRequest,
  deliver: Deliver,
  span: SpanParent | undefined,
): Promise<JSONRPCMessage> {
  const arrival = session.arrive(request.id);
  let target: Awaited<ReturnType<GatewayLists['route']>> | { readonly cancelled: string };
  try {
    // A cancel ends the wait for the lists at once; the listing goes on for the session.
    target = await Promise.race([
      lists.route(request, span),
      arrival.whenCancelled.then((cancelled) => ({ cancelled })),
    ]);
  } finally {
    arrival.done();
  }
  // Cancelled while it waited for the lists: no server ever hears of it.
  const cancelled = arrival.cancelled();
  if (cancelled !== undefined) {
    return rpcError(request.id, -32800, `Request cancelled: ${cancelled}`);
  }
  if ('cancelled' in target) {
    return rpcError(request.id, -32800, `Request cancelled: ${target.cancelled}`);
  }
  if ('error' in target) return rpcError(request.id, -32602, target.error);
  return forwardTo(session, session.part(target.server), target.request, deliver, span);
}

/** Answer one request. */
async function answerRequest(
  deps: AnswerDeps,
  session: GatewaySession,
  request: JSONRPCRequest,
  handle: RequestHandle | undefined,
  deliver: Deliver,
  span: SpanParent | undefined,
): Promise<JSONRPCMessage> {
  const lists = session.lists;
  switch (request.method) {
    case 'initialize':
      return rpcError(
        request.id,
        -32600,
        'Invalid Request: this session is initialized already: DELETE it and initialize a new one',
      );
    case 'ping':
      return { jsonrpc: '2.0', id: request.id, result: {} };
    case 'tools/list':
      return {
        jsonrpc: '2.0',
        id: request.id,
        result: { tools: [...(await session.tools.list(span))] },
      };
    case 'tools/call':
      return callTool(deps, session, request, handle, deliver, span);
    case 'prompts/list':
      return { jsonrpc: '2.0', id: request.id, result: { prompts: await lists.prompts(span) } };
    case 'resources/list': {
      const resources = await lists.resources(span);
      return { jsonrpc: '2.0', id: request.id, result: { resources } };
    }
    case 'resources/templates/list':
      return {
        jsonrpc: '2.0',
        id: request.id,
        result: { resourceTemplates: await lists.templates(span) },
      };
    case 'prompts/get':
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
    case 'completion/complete':
      return routed(session, lists, request, deliver, span);
    case 'logging/setLevel': {
      // Every server the session has opened that logs, each within the list wait (a hung one
      // holds nobody up); those it opens later get the level as they come up.
      const level = (request.params as { level?: unknown } | undefined)?.level;
      if (typeof level !== 'string') {
        return rpcError(request.id, -32602, 'Invalid params: logging/setLevel needs a "level"');
      }
      session.logLevel = level;
      await Promise.all(session.parts().map((part) => session.applyLogLevel(part, span)));
      return { jsonrpc: '2.0', id: request.id, result: {} };
    }
    default:
      return rpcError(request.id, -32601, `Method not found: ${request.method}`);
  }
}

/** Answer one message; undefined for notifications and responses (nothing to send back). */
export async function answerGateway(
  deps: AnswerDeps,
  session: GatewaySession,
  message: JSONRPCMessage,
  handle: RequestHandle | undefined,
  deliver: Deliver,
  span: SpanParent | undefined,
): Promise<JSONRPCMessage | undefined> {
  if (isRequest(message)) {
    try {
      return await answerRequest(deps, session, message, handle, deliver, span);
    } catch (error) {
      return rpcError(message.id, -32603, `Internal error: ${messageOf(error)}`);
    }
  }
  if (!isNotification(message)) {
    // A response: the agent's answer to a question a server asked it.
    if (!session.answered(message)) {
      deps.logger?.warn('an agent answered a request nobody asked it (or asked it twice)');
    }
    return undefined;
  }
  const notify = (part: ServerPart): Promise<void> =>
    part.link.notify(message, session.id).catch((error: unknown) => {
      deps.logger?.warn(`could not forward ${message.method}: ${String(error)}`);
    });
  if (message.method === 'notifications/cancelled') {
    const params = message.params as { requestId?: RequestId; reason?: unknown } | undefined;
    const requestId = params?.requestId;
    const reason = typeof params?.reason === 'string' ? params.reason : 'the agent cancelled it';
    let forwarding: Promise<void> | undefined;
    if (requestId !== undefined) {
      session.cancel(requestId, reason, (part) => {
        forwarding = notify(part);
      });
    }
    await forwarding;
  } else if (message.method === 'notifications/roots/list_changed') {
    // Every server this agent uses may have asked for its roots.
    await Promise.all(session.parts().map(notify));
  }
  // `initialized` was the gateway's own to take; anything else names no server.
  return undefined;
}

/** The agent went away before the answer to `requestId`: the server working on it stops. */
export function abandonGateway(
  session: GatewaySession,
  requestId: RequestId,
  reason: string,
): void {
  const cancel = {
    jsonrpc: '2.0' as const,
    method: 'notifications/cancelled' as const,
    params: { requestId, reason },
  };
  session.cancel(requestId, reason, (part) => {
    part.link.notify(cancel, session.id, true).catch(() => undefined);
  });
}

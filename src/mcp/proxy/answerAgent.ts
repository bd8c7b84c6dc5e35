// @internal What the proxy does with each message an agent sends: intervene in `initialize`,
// `tools/list` and `tools/call`, forward everything else untouched.
import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeResult,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

import type { RequestHandle } from '../../tracker/handles.js';
import { forwardCall, type CallDeps } from './forwardCall.js';
import { answerOf, isNotification, isRequest, rpcError } from './rpcAnswers.js';
import type { AgentRoute } from './upstream/upstreamSession.js';
import { messageOf } from '../../errors.js';

const PROXY_INFO = { name: 'toolflight-proxy', version: '0.1.0' };

/**
 * The agent's `initialize` answer: the upstream's own (connecting first if needed) with
 * `tools.listChanged` advertised; while the upstream is down, the one the outbox kept, or a
 * usable answer of the proxy's own.
 */
async function initializeAnswer(deps: CallDeps, request: JSONRPCRequest): Promise<JSONRPCMessage> {
  await deps.link.ensure().catch(() => undefined);
  const upstream: InitializeResult | undefined =
    deps.link.initialized ?? deps.catalog.keptInitialize;
  const asked = (request.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
  const protocolVersion =
    typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked)
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

async function listAnswer(deps: CallDeps, request: JSONRPCRequest): Promise<JSONRPCMessage> {
  const listing = await deps.catalog.refresh();
  if (listing.kind === 'tools') {
    return { jsonrpc: '2.0', id: request.id, result: { tools: [...listing.tools] } };
  }
  return answerOf(request.id, listing.outcome);
}

/** Answer one message; undefined for notifications and responses (nothing to send back). */
export async function answerAgent(
  deps: CallDeps,
  message: JSONRPCMessage,
  handle: RequestHandle | undefined,
  route: Required<AgentRoute>,
): Promise<JSONRPCMessage | undefined> {
  if (isRequest(message)) {
    try {
      switch (message.method) {
        case 'initialize':
          return await initializeAnswer(deps, message);
        case 'tools/list':
          return await listAnswer(deps, message);
        case 'tools/call':
          return await forwardCall(deps, message, handle, route);
        default:
          return answerOf(message.id, await deps.link.forward(message, route));
      }
    } catch (error) {
      const text = messageOf(error);
      return rpcError(message.id, -32603, `Internal error: ${text}`);
    }
  }
  // The proxy initialized the upstream itself; every other notification goes on.
  if (isNotification(message) && message.method !== 'notifications/initialized') {
    await deps.link.notify(message, route.scope).catch((error: unknown) => {
      deps.logger?.warn(`could not forward ${message.method}: ${String(error)}`);
    });
  }
  return undefined;
}

// @internal The SDK server that answers one HTTP request. Stateless Streamable HTTP needs a
// fresh server and transport per request (the SDK refuses to reuse a stateless transport); the
// upside is that the request's scope (role, capture, tracker handle) is a plain closure here.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CancelledNotificationSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';

import type { LoopbackServerOptions } from './LoopbackServer.js';
import type { RequestScope } from './requestScope.js';
import { runToolCall, type CallDeps } from './runToolCall.js';

/** What the per-request servers of one loopback server share. */
export interface ServerDeps extends CallDeps {
  readonly serverInfo: NonNullable<LoopbackServerOptions['serverInfo']>;
  readonly jsonResponse: boolean;
}

/**
 * `tools/call` with any params. Registered with the full schema, the SDK's generic parse fails
 * first and answers -32603 (internal error) to arguments that are not an object; checking here
 * answers -32602 (invalid params), as JSON-RPC asks.
 */
const ToolsCallEnvelope = CallToolRequestSchema.pick({ method: true }).loose();

/** An SDK server and its connected transport, for one request. */
export interface RequestServer {
  readonly server: Server;
  readonly transport: StreamableHTTPServerTransport;
}

/** Build and connect the server for one request of `scope`. */
export async function connectRequestServer(
  deps: ServerDeps,
  scope: RequestScope,
): Promise<RequestServer> {
  const server = new Server(deps.serverInfo, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...deps.registry.list(scope.owner)],
  }));
  server.setRequestHandler(ToolsCallEnvelope, (request, extra) => {
    const checked = CallToolRequestSchema.safeParse(request);
    if (!checked.success) {
      throw new McpError(
        ErrorCode.InvalidParams,
        'Invalid params: tools/call needs a string "name" and "arguments" that is a JSON object',
      );
    }
    return runToolCall(deps, scope, checked.data.params, extra.requestId);
  });
  // Replaces the SDK's own handler, which only knows requests of this one server: the call may
  // have arrived on another POST.
  server.setNotificationHandler(CancelledNotificationSchema, (notification) => {
    const { requestId, reason } = notification.params;
    if (requestId !== undefined) {
      deps.pending.cancel(scope.cancelScope, requestId, reason ?? 'cancelled by the client');
    }
  });
  server.onerror = (error) => deps.logger?.warn(`MCP server: ${error.message}`);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: deps.jsonResponse,
  });
  await server.connect(transport);
  return { server, transport };
}

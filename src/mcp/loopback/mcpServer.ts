// @internal The SDK server of one loopback session (or of one request sent without a session):
// tools, prompts and resources from the host's registries, each request served for the scope
// it came with, tool calls tracked, and what only a session can hold (a log level,
// subscriptions) kept on the session.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';

import { callAgent } from './callAgent.js';
import { serveCatalog } from './catalogHandlers.js';
import type { LoopbackRequestContext } from './LoopbackRequestContext.js';
import type { LoopbackServerOptions } from './LoopbackServer.js';
import type { LoopbackSession } from './loopbackSession.js';
import type { PostChannel } from './postChannel.js';
import type { PromptRegistry } from './promptRegistry.js';
import type { RequestScope } from './requestScope.js';
import type { ResourceRegistry } from './resourceRegistry.js';
import { runToolCall, type CallDeps } from './runToolCall.js';

/** What the servers of one loopback server share. */
export interface ServerDeps extends CallDeps {
  readonly serverInfo: NonNullable<LoopbackServerOptions['serverInfo']>;
  readonly jsonResponse: boolean;
  readonly prompts: PromptRegistry | undefined;
  readonly resources: ResourceRegistry | undefined;
  readonly askTimeoutMs: number;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * `tools/call` with any params. Registered with the full schema, the SDK's generic parse fails
 * first and answers -32603 (internal error) to arguments that are not an object; checking here
 * answers -32602 (invalid params), as JSON-RPC asks.
 */
const ToolsCallEnvelope = CallToolRequestSchema.pick({ method: true }).loose();

/** Resources one session may subscribe to at once. */
export const MAX_SUBSCRIPTIONS = 1024;
/** The longest URI a session may subscribe to. */
const MAX_SUBSCRIBED_URI_BYTES = 8 * 1024;

/**
 * What the server declares of its own: list_changed for what it announces, subscriptions. The
 * catalog's handlers (`serveCatalog`) declare prompts, resources and completions when offered.
 */
function capabilitiesOf(deps: ServerDeps): ServerCapabilities {
  return {
    tools: { listChanged: true },
    logging: {},
    ...(deps.prompts ? { prompts: { listChanged: true } } : {}),
    ...(deps.resources ? { resources: { subscribe: true, listChanged: true } } : {}),
  };
}

/**
 * The validator the SDK checks an elicitation's answer with, made on the first answer: the SDK
 * would build an Ajv instance with every server, one per session and one per session-less
 * request, where most never elicit anything.
 */
function lazyValidator(): jsonSchemaValidator {
  let ajv: AjvJsonSchemaValidator | undefined;
  return { getValidator: (schema) => (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema) };
}

/** Refuse what needs a session when the request came without one. */
function sessionOf(session: LoopbackSession | undefined, method: string): LoopbackSession {
  if (session !== undefined) return session;
  throw new McpError(
    ErrorCode.InvalidRequest,
    `${method} needs a session: initialize first, then send its Mcp-Session-Id on every request`,
  );
}

/** Build the SDK server for `channel`; `session` is undefined for a request without one. */
export function loopbackMcpServer(
  deps: ServerDeps,
  channel: PostChannel<RequestScope>,
  session: LoopbackSession | undefined,
): Server {
  const server = new Server(deps.serverInfo, {
    capabilities: capabilitiesOf(deps),
    jsonSchemaValidator: lazyValidator(),
  });
  const scopeOf = (extra: Extra): RequestScope => {
    const scope = channel.scopeOf(extra.requestId);
    if (scope === undefined) throw new McpError(ErrorCode.InternalError, 'request not routed');
    return scope;
  };
  const contextOf = (extra: Extra): LoopbackRequestContext => {
    const scope = scopeOf(extra);
    return {
      signal: AbortSignal.any([extra.signal, scope.goneSignal]),
      owner: scope.owner,
      capture: scope.capture,
      session: scope.session,
    };
  };
  const agent = {
    server,
    asks: channel.asks,
    scheduler: deps.scheduler,
    askTimeoutMs: deps.askTimeoutMs,
    session,
  };

  server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => ({
    tools: [...deps.registry.list(scopeOf(extra).owner)],
  }));
  server.setRequestHandler(ToolsCallEnvelope, (request, extra) => {
    const checked = CallToolRequestSchema.safeParse(request);
    if (!checked.success) {
      throw new McpError(
        ErrorCode.InvalidParams,
        'Invalid params: tools/call needs a string "name" and "arguments" that is a JSON object',
      );
    }
    return runToolCall(deps, scopeOf(extra), checked.data.params, extra.requestId, (call) =>
      callAgent(agent, extra, call),
    );
  });
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    sessionOf(session, 'logging/setLevel').logLevel = request.params.level;
    return {};
  });
  if (deps.resources) {
    const resources = deps.resources;
    server.setRequestHandler(SubscribeRequestSchema, (request, extra) => {
      const subscriber = sessionOf(session, 'resources/subscribe');
      const { uri } = request.params;
      if (Buffer.byteLength(uri) > MAX_SUBSCRIBED_URI_BYTES) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `Invalid params: a subscribed URI may have at most ${MAX_SUBSCRIBED_URI_BYTES} bytes`,
        );
      }
      if (!resources.has(uri, scopeOf(extra).owner)) {
        throw new McpError(-32002, 'Resource not found', { uri });
      }
      const { subscriptions } = subscriber;
      if (!subscriptions.has(uri) && subscriptions.size >= MAX_SUBSCRIPTIONS) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `Invalid params: this session holds ${MAX_SUBSCRIPTIONS} subscriptions, the most it may: unsubscribe from one first`,
        );
      }
      subscriptions.add(uri);
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      sessionOf(session, 'resources/unsubscribe').subscriptions.delete(request.params.uri);
      return {};
    });
  }
  serveCatalog(server, { prompts: deps.prompts, resources: deps.resources }, contextOf);
  server.onerror = (error) => deps.logger?.warn(`MCP server: ${error.message}`);
  void server.connect(channel);
  return server;
}

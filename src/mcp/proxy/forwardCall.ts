// @internal One `tools/call` through the proxy, tracked like the loopback server's: started,
// prepared when it leaves for the upstream, its result with an outcome, finished.
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  McpError,
  type CallToolResult,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

import type { ToolArgs, ToolCallOutcome } from '../../events/types.js';
import type { Tracker } from '../../tracker/Tracker.js';
import type { RequestHandle } from '../../tracker/handles.js';
import {
  firstText,
  isPlainCallParams,
  isPlainTextResult,
  type PlainCallParams,
} from '../endpoint/callShape.js';
import type { ProxyOptions } from './Proxy.js';
import { rpcError } from '../endpoint/rpcShape.js';
import { answerOf, UNREACHABLE } from './rpcAnswers.js';
import type { SessionTools } from './sessionTools.js';
import type { ToolCatalog } from './toolCatalog.js';
import type { SessionLink, UpstreamLink } from './upstream/upstreamLink.js';
import type { AgentRoute } from './upstream/upstreamSession.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';
import type { Logger } from '../../logger.js';
import { messageOf } from '../../errors.js';

/** What every forwarded call of one proxy shares. */
export interface CallDeps {
  readonly tracker: Tracker;
  /** The proxy's own link: its health, its initialize result, the catalog's and the outbox's. */
  readonly link: UpstreamLink;
  readonly catalog: ToolCatalog<unknown>;
  readonly onUnreachable: ProxyOptions<unknown>['onUnreachable'];
  readonly logger: Logger | undefined;
}

/** The call's params, checked (the SDK's schema when the fast check is not sure), or undefined. */
function callParams(request: JSONRPCRequest): PlainCallParams | undefined {
  if (isPlainCallParams(request.params)) return request.params;
  const checked = CallToolRequestSchema.safeParse(request);
  return checked.success ? checked.data.params : undefined;
}

/** The upstream's result, checked the same way, or undefined when it is not a CallToolResult. */
function callResult(result: unknown): CallToolResult | undefined {
  if (isPlainTextResult(result)) return result;
  const checked = CallToolResultSchema.safeParse(result);
  return checked.success ? checked.data : undefined;
}

/** Where one tool of an agent's call goes, or why the agent may not call it. */
export type CallRoute =
  | {
      /** The upstream's own name of the tool (the gateway's agents call it by another). */
      readonly upstreamName: string;
      readonly link: SessionLink;
      /** The upstream's definition of the tool, for the outbox's rules. */
      readonly tools: Pick<SessionTools, 'upstreamTool'>;
      /** The outbox seam of that upstream (see `ProxyOptions.onUnreachable`). */
      readonly onUnreachable: ProxyOptions<unknown>['onUnreachable'];
    }
  | {
      /** The tool is hidden from the agent or listed by nobody: the call is blocked for this. */
      readonly refused: string;
    }
  | {
      /** The agent cancelled the call before it could be routed: nothing was sent for it. */
      readonly cancelled: string;
    };

/** The agent session a call comes from: its capture, and where each of its tools goes. */
export interface CallSession {
  readonly capture: string;
  /** Where the agent's tool `name` goes (listing first, if the session has not listed). */
  readonly resolve: (name: string) => Promise<CallRoute>;
}

/** What an SDK `McpServer` answers for a tool it does not have. */
const hiddenToolResult = (name: string): CallToolResult => ({
  content: [{ type: 'text', text: `MCP error -32602: Tool ${name} not found` }],
  isError: true,
});

/**
 * A proxy session's route: its own upstream session; with a narrower, only a tool it lets
 * through from the list the session's own upstream session gave (another agent's list may hold
 * tools the upstream lists to that agent only). A list the call waits for is a child of `span`.
 */
export function proxyCallSession(
  deps: CallDeps,
  session: { readonly capture: string; readonly link: SessionLink; readonly tools: SessionTools },
  span?: SpanParent,
): CallSession {
  return {
    capture: session.capture,
    resolve: async (name) =>
      !deps.catalog.narrows || (await session.tools.shows(name, span))
        ? {
            upstreamName: name,
            link: session.link,
            tools: session.tools,
            onUnreachable: deps.onUnreachable,
          }
        : { refused: 'the tool is hidden from this agent (narrowing)' },
  };
}

/** An `McpError`'s own message, without the "MCP error <code>: " the SDK puts before it. */
const seamMessage = (error: McpError): string => {
  const prefix = `MCP error ${error.code}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
};

/**
 * Forward `request` and answer with what the upstream said, verbatim (id restored). A call the
 * upstream cannot take gets the outbox seam's result, or -32002 with the reason.
 */
export async function forwardCall(
  deps: Pick<CallDeps, 'tracker' | 'logger'>,
  session: CallSession,
  request: JSONRPCRequest,
  handle: RequestHandle | undefined,
  route: AgentRoute,
): Promise<JSONRPCMessage> {
  const { tracker, logger } = deps;
  const safely = (what: string, command: () => unknown): void =>
    recordSafely(logger, what, command);
  const params = callParams(request);
  if (params === undefined) {
    return rpcError(
      request.id,
      -32602,
      'Invalid params: tools/call needs a string "name" and "arguments" that is a JSON object',
    );
  }
  const toolName = params.name;
  const args: ToolArgs = params.arguments ?? {};
  const call = tracker.toolCallStarted({ request: handle, toolName, args });
  const record = (outcome: ToolCallOutcome, isError: boolean, result?: unknown, reason?: string) =>
    safely('a tool call result', () =>
      tracker.toolCallResult(call, { outcome, isError, result, reason }),
    );
  try {
    const target = await session.resolve(toolName);
    if ('cancelled' in target) {
      record('cancelled', true, undefined, target.cancelled);
      return rpcError(request.id, -32800, `Request cancelled: ${target.cancelled}`);
    }
    if ('refused' in target) {
      // The answer an SDK server gives for a tool it does not have: a hidden tool and a missing
      // one read the same, and the upstream never hears of the call.
      const result = hiddenToolResult(toolName);
      record('blocked', true, result, target.refused);
      return { jsonrpc: '2.0', id: request.id, result };
    }
    const { upstreamName } = target;
    // A gateway's agent calls the tool by its gateway name; the upstream knows its own.
    const upstreamRequest =
      upstreamName === toolName
        ? request
        : { ...request, params: { ...request.params, name: upstreamName } };
    safely('a prepared tool call', () => tracker.toolCallPrepared(call, { args }));
    // What the upstream asks the agent during the call is noted as this call's.
    const related = route.onRelated;
    const callId = call?.id;
    const span =
      route.span && callId !== undefined ? { ...route.span, toolCall: callId } : route.span;
    const callRoute: AgentRoute = {
      ...route,
      span,
      ...(related !== undefined && { onRelated: (m) => related(m, callId) }),
    };
    const outcome = await target.link.forward(upstreamRequest, callRoute);
    if (outcome.kind === 'answer') {
      const message = outcome.message;
      if ('error' in message) {
        record('failed', true, undefined, message.error.message);
      } else if ('result' in message) {
        const result = callResult(message.result);
        if (result === undefined) record('failed', true, message.result, 'invalid CallToolResult');
        else if (result.isError === true) record('failed', true, result, firstText(result));
        else record('completed', false, result);
      }
      return message;
    }
    if (outcome.kind === 'unreachable') {
      const tool = target.tools.upstreamTool(upstreamName);
      let queued: CallToolResult | undefined;
      try {
        queued = await target.onUnreachable?.({
          toolName: upstreamName,
          args,
          tool,
          reason: outcome.reason,
          unknown: outcome.unknown,
          ...(call && { toolCall: { id: call.id, capture: call.capture } }),
        });
      } catch (error) {
        if (error instanceof McpError) {
          // The seam refused the call itself (arguments that do not fit the tool): its answer.
          const message = seamMessage(error);
          record('failed', true, undefined, message);
          return rpcError(request.id, error.code, message, error.data);
        }
        // The seam could not keep the call (an outbox that cannot write): say both, never "queued".
        const reason = `upstream unreachable: ${outcome.reason}; the call could not be queued: ${messageOf(error)}`;
        record(outcome.unknown ? 'unknown' : 'failed', true, undefined, reason);
        return rpcError(request.id, UNREACHABLE, reason, {
          outcome: outcome.unknown ? 'unknown' : 'not_sent',
        });
      }
      if (queued !== undefined) {
        record(
          'completed',
          queued.isError === true,
          queued,
          `upstream unreachable: ${outcome.reason}`,
        );
        return { jsonrpc: '2.0', id: request.id, result: queued };
      }
      const reason = `upstream unreachable: ${outcome.reason}`;
      record(outcome.unknown ? 'unknown' : 'failed', true, undefined, reason);
      return rpcError(request.id, UNREACHABLE, reason, {
        outcome: outcome.unknown ? 'unknown' : 'not_sent',
      });
    }
    const answer = answerOf(request.id, outcome);
    if (outcome.kind === 'timed_out') {
      record('timed_out', true, undefined, outcome.reason);
      return answer;
    }
    if (outcome.kind === 'cancelled') {
      record(outcome.gone ? 'unknown' : 'cancelled', true, undefined, outcome.reason);
      return answer;
    }
    record('failed', true, undefined, 'error' in answer ? answer.error.message : undefined);
    return answer;
  } catch (error) {
    record('failed', true, undefined, messageOf(error));
    return rpcError(request.id, -32603, `Internal error: ${messageOf(error)}`);
  } finally {
    safely('a finished tool call', () => tracker.toolCallFinished(call));
  }
}

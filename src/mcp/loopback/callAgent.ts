// @internal What a running tool can send its agent: progress and log lines on the call's own
// stream, and questions (elicitation, sampling, roots) it waits on, each with a deadline on the
// server's scheduler and noted in the log.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type {
  RequestHandlerExtra,
  RequestOptions,
} from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  McpError,
  type ClientCapabilities,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import type { AgentAsks } from './agentAsks.js';
import { timerMs } from '../../http/connectionLimits.js';
import { LoopbackError } from './LoopbackError.js';
import type { ToolCallContext } from './LoopbackServer.js';

/** How long a tool waits for its agent's answer unless told otherwise: the SDK client's wait. */
export const ASK_TIMEOUT_MS = 60_000;
/**
 * The SDK's own timer for a request, set out of the way (the longest a Node timer takes): the
 * deadline that counts runs on the server's scheduler, where tests can move time.
 */
const SDK_TIMER_OFF = 2 ** 31 - 1;

/** Log levels by severity (RFC 5424, as MCP orders them). */
const SEVERITY: Readonly<Record<LoggingLevel, number>> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
};

/** The client capability each question needs. */
const NEEDS = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
} as const satisfies Record<string, keyof ClientCapabilities>;

/** What the calls of one server share for talking to their agent. */
export interface AgentDeps {
  readonly server: Server;
  readonly asks: AgentAsks;
  readonly scheduler: SchedulerLike;
  readonly askTimeoutMs: number;
  /** The agent's session, when the request came in one: questions need it. */
  readonly session:
    { readonly id: string; readonly logLevel: LoggingLevel | undefined } | undefined;
}

/** What a tool call can send its agent. */
export type CallAgent = Pick<
  ToolCallContext,
  'progress' | 'log' | 'elicit' | 'sample' | 'listRoots'
>;

/** The call the agent side serves. */
export interface CallView {
  /** Aborted when the call is over: its questions are withdrawn. */
  readonly signal: AbortSignal;
  /** The tracker's id of the call; undefined when it is not captured. */
  readonly toolCall: string | undefined;
  /** False once the call was decided: what it sends then has no stream left, and is not sent. */
  readonly live: () => boolean;
}

/** The agent side of one tool call's context. */
export function callAgent(
  deps: AgentDeps,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  { signal, toolCall, live }: CallView,
): CallAgent {
  const notify = async (notification: ServerNotification): Promise<boolean> => {
    if (!live()) return false;
    await extra.sendNotification(notification);
    return true;
  };

  async function ask<T>(
    method: keyof typeof NEEDS,
    send: (options: RequestOptions) => Promise<T>,
    timeoutMs = deps.askTimeoutMs,
  ): Promise<T> {
    if (deps.session === undefined) {
      throw new LoopbackError(
        'no_session',
        `${method} needs an agent session: this request came without Mcp-Session-Id, so no answer could find its way back (agents that initialize get one)`,
      );
    }
    const needs = NEEDS[method];
    if (deps.server.getClientCapabilities()?.[needs] === undefined) {
      throw new LoopbackError(
        'capability_missing',
        `the agent did not declare the ${needs} capability in initialize: it cannot answer ${method}`,
      );
    }
    timerMs(timeoutMs, 'timeoutMs', (message) => new LoopbackError('invalid_option', message));
    signal.throwIfAborted();
    const asked = new AbortController();
    const stop = (): void => asked.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const timer = deps.scheduler.schedule(() => {
      const why = `the agent did not answer ${method} within ${timeoutMs} ms`;
      asked.abort(new McpError(ErrorCode.RequestTimeout, why, { timeout: timeoutMs }));
    }, timeoutMs);
    try {
      const options = {
        relatedRequestId: extra.requestId,
        signal: asked.signal,
        timeout: SDK_TIMER_OFF,
      };
      return await deps.asks.asking(toolCall, () => send(options));
    } finally {
      timer.unsubscribe();
      signal.removeEventListener('abort', stop);
    }
  }

  return {
    progress: async (progress, total, message) => {
      const progressToken = extra._meta?.progressToken;
      if (progressToken === undefined) return false;
      return notify({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message }),
        },
      });
    },
    log: async (level, data, logger) => {
      const least = deps.session?.logLevel;
      if (least !== undefined && SEVERITY[level] < SEVERITY[least]) return false;
      return notify({
        method: 'notifications/message',
        params: { level, data, ...(logger === undefined ? {} : { logger }) },
      });
    },
    elicit: (params, options) =>
      ask('elicitation/create', (o) => deps.server.elicitInput(params, o), options?.timeoutMs),
    sample: (params, options) =>
      ask(
        'sampling/createMessage',
        (o) => deps.server.createMessage(params, o),
        options?.timeoutMs,
      ),
    listRoots: (options) =>
      ask('roots/list', (o) => deps.server.listRoots(undefined, o), options?.timeoutMs),
  };
}

// @internal One `tools/call`, tracked from start to finish: schema check, hooks, the tool, and
// whichever comes first of its result, a timeout, a cancellation or a disconnect.
import {
  CallToolResultSchema,
  type CallToolResult,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import type { ToolArgs, ToolCallOutcome } from '../../events/types.js';
import type { Tracker } from '../../tracker/Tracker.js';
import type { BeforeToolCallHook, ToolCallContext } from './LoopbackServer.js';
import type { CallAgent, CallView } from './callAgent.js';
import type { AbortKind, PendingCalls } from './pendingCalls.js';
import type { RequestScope } from './requestScope.js';
import type { ToolRegistry } from './toolRegistry.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { isJsonObject } from '../../events/validate.js';
import { firstText } from '../endpoint/callShape.js';
import type { Logger } from '../../logger.js';
import { messageOf } from '../../errors.js';

/** What every call of one server shares. */
export interface CallDeps {
  readonly tracker: Tracker;
  readonly registry: ToolRegistry;
  readonly hooks: readonly BeforeToolCallHook[];
  readonly pending: PendingCalls;
  readonly toolTimeoutMs: number | undefined;
  readonly logger: Logger | undefined;
  /** Runs the tool timeouts. */
  readonly scheduler: SchedulerLike;
}

const toolError = (text: string): CallToolResult => ({
  content: [{ type: 'text', text }],
  isError: true,
});

/**
 * Run one call. Resolves with the result to send as soon as the outcome is decided; the call
 * finishes (`toolCall.finished`) when the tool's own code settled, which after a timeout,
 * cancellation or disconnect may be later: the tool got an aborted signal, and until it returns
 * the capture stays busy, because it may still act.
 */
export function runToolCall(
  deps: CallDeps,
  scope: RequestScope,
  params: { readonly name: string; readonly arguments?: Record<string, unknown> },
  requestId: RequestId,
  agentOf: (call: CallView) => CallAgent,
): Promise<CallToolResult> {
  const { tracker, logger } = deps;
  const safely = (what: string, command: () => unknown): void =>
    recordSafely(logger, what, command);
  const toolName = params.name;
  let args: ToolArgs = params.arguments ?? {};
  const call = scope.gone
    ? undefined
    : tracker.toolCallStarted({ request: scope.request, toolName, args });
  const controller = new AbortController();
  // Aborted once the outcome is decided, whatever it is: questions to the agent are withdrawn.
  const over = new AbortController();
  let decided = false;
  let resolve!: (result: CallToolResult) => void;
  const response = new Promise<CallToolResult>((settle) => (resolve = settle));

  function decide(outcome: ToolCallOutcome, result: CallToolResult, reason?: string): void {
    if (decided) return;
    decided = true;
    over.abort(new Error(reason ?? `the call ended: ${outcome}`));
    timer?.unsubscribe();
    untrack();
    unregister();
    const isError = result.isError === true;
    safely('a tool call result', () =>
      tracker.toolCallResult(call, { outcome, isError, result, reason }),
    );
    resolve(result);
  }

  function abort(kind: AbortKind, reason: string): void {
    if (decided) return;
    controller.abort(new Error(reason));
    decide(kind, toolError(`tool "${toolName}" did not complete: ${reason}`), reason);
  }

  const untrack = scope.track({ abort });
  const unregister = deps.pending.add(scope.cancelScope, requestId, { abort });
  const cancelledEarly = deps.pending.takeEarlyCancel(scope.cancelScope, requestId);
  const registered = deps.registry.lookup(toolName, scope.owner);
  const timeoutMs =
    typeof registered === 'string'
      ? undefined
      : (registered.definition.timeoutMs ?? deps.toolTimeoutMs);
  const timer =
    timeoutMs === undefined
      ? undefined
      : deps.scheduler.schedule(
          () => abort('timed_out', `timed out after ${timeoutMs} ms`),
          timeoutMs,
        );

  const context: ToolCallContext = {
    signal: controller.signal,
    owner: scope.owner,
    capture: scope.capture,
    session: scope.session,
    call,
    yieldMessage: (message) => tracker.yielded(scope.request, message),
    ...agentOf({ signal: over.signal, toolCall: call?.id, live: () => !decided }),
  };

  async function work(): Promise<void> {
    if (scope.gone) return abort('unknown', 'the client went away before the call started');
    if (cancelledEarly !== undefined) return abort('cancelled', cancelledEarly);
    // Unknown and owner-only-for-a-non-owner read the same to the agent: nothing leaks.
    const unavailable = toolError(`tool "${toolName}" is not available`);
    if (registered === 'unknown') return decide('failed', unavailable, 'unknown tool');
    if (registered === 'owner_only') {
      return decide('blocked', unavailable, 'owner-only tool called without the owner token');
    }
    const invalid = registered.checkArgs(args);
    if (invalid !== undefined) {
      const text = `invalid arguments for tool "${toolName}": ${invalid}`;
      return decide('failed', toolError(text), `invalid arguments: ${invalid}`);
    }
    for (const hook of deps.hooks) {
      let decision;
      try {
        decision = await hook({ toolName, args, ...context });
      } catch (error) {
        const text = `tool "${toolName}" could not run: the host's policy check failed`;
        return decide('failed', toolError(text), `beforeToolCall hook threw: ${messageOf(error)}`);
      }
      if (decided) return;
      if (typeof decision?.block === 'string') {
        const text = `tool "${toolName}" was blocked: ${decision.block}`;
        return decide('blocked', toolError(text), decision.block);
      }
      if (decision?.args !== undefined) {
        if (!isJsonObject(decision.args)) {
          const reason = 'beforeToolCall hook returned arguments that are not an object';
          return decide('failed', toolError(`tool "${toolName}" could not run`), reason);
        }
        args = decision.args;
      }
    }
    // Timed out, cancelled or abandoned while the hooks ran: the tool must not start.
    if (decided) return;
    safely('a prepared tool call', () => tracker.toolCallPrepared(call, { args }));
    let result: CallToolResult;
    try {
      result = await registered.definition.run(args, context);
    } catch (error) {
      const message = messageOf(error);
      return decide('failed', toolError(message), message);
    }
    const checked = CallToolResultSchema.safeParse(result);
    if (!checked.success) {
      const reason = `the tool returned an invalid CallToolResult: ${checked.error.message}`;
      return decide('failed', toolError(`tool "${toolName}" returned an invalid result`), reason);
    }
    if (result.isError === true) return decide('failed', result, firstText(result));
    decide('completed', result);
  }

  work()
    .catch((error: unknown) => {
      // Only a bug of ours gets here; the agent still gets an answer.
      logger?.warn(`toolflight tool call "${toolName}" broke: ${messageOf(error)}`);
      decide('failed', toolError(`tool "${toolName}" failed`), messageOf(error));
    })
    .finally(() => safely('a finished tool call', () => tracker.toolCallFinished(call)));
  return response;
}

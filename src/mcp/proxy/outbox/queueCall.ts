// @internal The proxy's `onUnreachable` when an outbox is configured: keep a bufferable write
// on disk, then answer "queued"; anything else gets the proxy's -32002.
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

import type { ArgumentsCheck } from './argumentsCheck.js';
import type { Outbox } from './Outbox.js';
import type { UnreachableCall } from './Outbox.js';

/** What queuing needs from the proxy around it. */
export interface QueueDeps {
  readonly outbox: Outbox;
  readonly isBufferable: (name: string, tool: Tool | undefined) => boolean;
  /** Whether the arguments fit the listed tool's `inputSchema`. */
  readonly checkArguments: ArgumentsCheck;
  readonly ids: () => string;
  readonly now: () => number;
  /** Record `outbox.enqueued` (never throws). */
  readonly enqueued: (key: string, tool: string, call: UnreachableCall['toolCall']) => void;
}

/** The agent's own `idempotencyKey` argument, when it is a non-empty string. */
const agentKey = (args: Readonly<Record<string, unknown>>): string | undefined => {
  const key = args.idempotencyKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
};

/** The answer an agent gets for a queued write. */
export function queuedResult(tool: string, key: string, reason: string): CallToolResult {
  return {
    content: [
      {
        type: 'text',
        text: `The upstream is unreachable (${reason}). The call to ${tool} was queued with idempotency key ${key} and will be delivered automatically when the upstream is back; do not send it again.`,
      },
    ],
    structuredContent: { queued: true, tool, idempotencyKey: key },
  };
}

/**
 * Queue `call` if its tool is bufferable: the row is committed before this returns. Returns
 * undefined for a tool that must not wait; throws `McpError` -32602 for arguments that do not
 * fit the listed tool's `inputSchema` (the agent can fix them now, not once it is a dead letter),
 * and `OutboxError` when the row could not be written, so that the agent is never told "queued"
 * for a write that is not on disk.
 */
export function queueCall(deps: QueueDeps, call: UnreachableCall): CallToolResult | undefined {
  if (!deps.isBufferable(call.toolName, call.tool)) return undefined;
  const invalid = call.tool && deps.checkArguments(call.tool, call.args);
  if (invalid) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Invalid params: the arguments of ${call.toolName} do not fit its inputSchema (${invalid}): fix them and call again; nothing was queued`,
    );
  }
  const own = agentKey(call.args);
  // It may have run already: only a key the upstream saw with it makes a second delivery safe.
  if (call.unknown === true && own === undefined) return undefined;
  const key = own ?? deps.ids();
  const args = { ...call.args, idempotencyKey: key };
  const { kind } = deps.outbox.enqueue({ key, tool: call.toolName, args, now: deps.now() });
  if (kind === 'queued') deps.enqueued(key, call.toolName, call.toolCall);
  return queuedResult(call.toolName, key, call.reason);
}

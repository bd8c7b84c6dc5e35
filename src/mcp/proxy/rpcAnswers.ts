// @internal JSON-RPC answers the proxy makes itself, an upstream outcome as an answer, and
// which kind a message is.
import {
  ErrorCode,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import { rpcError } from '../endpoint/rpcShape.js';
import { rpcErrorIn } from './upstream/httpTransportError.js';
import type { Forwarded } from './upstream/upstreamSession.js';

/** The code of "the upstream cannot be reached"; `data.outcome` says whether it may have run. */
export const UNREACHABLE = -32002;

// Messages reaching these were validated once on the way in (the agent's body by the SDK's
// schema, the upstream's by the transport): a second schema parse per message only costs time.

/** True for a request (a method and an id). */
export const isRequest = (message: JSONRPCMessage): message is JSONRPCRequest =>
  'method' in message && 'id' in message;

/** True for a notification (a method, no id). */
export const isNotification = (message: JSONRPCMessage): message is JSONRPCNotification =>
  'method' in message && !('id' in message);

/** What the agent gets for an upstream outcome: the answer itself, or an error that says why. */
export function answerOf(id: RequestId, outcome: Forwarded): JSONRPCMessage {
  switch (outcome.kind) {
    case 'answer':
      return outcome.message;
    case 'refused': {
      const { status, text } = outcome.refusal;
      const error = rpcErrorIn(text);
      return error !== undefined
        ? { jsonrpc: '2.0', id, error }
        : rpcError(
            id,
            -32000,
            `the upstream refused the request: HTTP ${status} ${text.slice(0, 500)}`.trim(),
            { status },
          );
    }
    case 'unsendable':
      // The agent's own params are what cannot be serialized (nothing else in it nests).
      return rpcError(id, -32602, `Invalid params: ${outcome.reason}`);
    case 'session_gone':
      return rpcError(id, UNREACHABLE, 'upstream unreachable: the upstream lost the session', {
        outcome: 'not_sent',
      });
    case 'cancelled':
      return rpcError(id, -32800, `Request cancelled: ${outcome.reason}`);
    case 'timed_out':
      // The SDK client's own timeout errors, data included: an agent cannot tell them apart.
      return outcome.total
        ? rpcError(id, ErrorCode.RequestTimeout, 'Maximum total timeout exceeded', {
            maxTotalTimeout: outcome.limitMs,
            totalElapsed: outcome.elapsedMs,
          })
        : rpcError(id, ErrorCode.RequestTimeout, 'Request timed out', { timeout: outcome.limitMs });
    case 'unreachable':
      return rpcError(id, UNREACHABLE, `upstream unreachable: ${outcome.reason}`, {
        outcome: outcome.unknown ? 'unknown' : 'not_sent',
      });
  }
}

// @internal Parse a POST body into JSON-RPC messages, with the error codes JSON-RPC 2.0 defines.
import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import { RpcCode } from './httpReplies.js';
import { isJsonRpcMessage } from './rpcShape.js';

/** A body as JSON-RPC: the value to hand to the SDK and its methods, or the error to answer. */
export type ParsedMessages =
  | {
      readonly ok: true;
      /** The parsed value, as sent (one message or a batch), for the SDK's `parsedBody`. */
      readonly body: JSONRPCMessage | JSONRPCMessage[];
      /** The methods of the requests and notifications, in order; `,`-joined for a batch. */
      readonly method: string | undefined;
    }
  | { readonly ok: false; readonly code: number; readonly message: string };

/**
 * Parse `text`. Not JSON: -32700. Not a JSON-RPC message, an empty batch (`[]`), a batch of
 * more than the SDK's `MAX_BATCH_SIZE` (100) messages, or a batch with an entry that is not a
 * message object: -32600 for the whole body. Each message gets the verdict of the SDK's own
 * schema (`isJsonRpcMessage`): what passes here, the SDK accepts.
 */
export function parseMessages(text: string): ParsedMessages {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: RpcCode.parse, message: 'Parse error: the body is not valid JSON' };
  }
  const entries = Array.isArray(value) ? (value as unknown[]) : [value];
  if (entries.length === 0) {
    return {
      ok: false,
      code: RpcCode.invalidRequest,
      message: 'Invalid Request: an empty batch ([]) is not a JSON-RPC request',
    };
  }
  // Checked here, before anything is tracked: the SDK transport refuses it with these words
  // only once it gets the body, and the proxy answers most bodies without the SDK (each entry
  // of a batch would be its own upstream request).
  if (entries.length > MAX_BATCH_SIZE) {
    return {
      ok: false,
      code: RpcCode.invalidRequest,
      message: `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`,
    };
  }
  const methods: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const where = Array.isArray(value) ? `batch entry ${index}` : 'the body';
    if (!isJsonRpcMessage(entry)) {
      return {
        ok: false,
        code: RpcCode.invalidRequest,
        message: `Invalid Request: ${where} is not a JSON-RPC 2.0 message object`,
      };
    }
    if ('method' in entry) methods.push(entry.method);
  }
  return {
    ok: true,
    body: value as JSONRPCMessage | JSONRPCMessage[],
    method: methods.length === 0 ? undefined : methods.join(','),
  };
}

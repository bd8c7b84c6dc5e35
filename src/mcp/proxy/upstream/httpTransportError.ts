// @internal How the proxy's HTTP transport fails, as a typed error the link and the session
// act on (instead of matching error text), and the shape check for what an upstream sends.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import { isJsonObject } from '../../../events/validate.js';
import { messageOf } from '../../../errors.js';

/** An HTTP refusal of one POSTed request, as the upstream sent it. */
export interface HttpRefusal {
  readonly status: number;
  readonly text: string;
}

/**
 * Why a send failed or the session's stream stopped:
 * - `refused`: the upstream answered non-2xx (not 404-for-the-session, not 502/503/504);
 * - `session_gone`: 404 while holding a session, so the request was not processed;
 * - `unreachable`: no connection, 502/503/504, or a connection lost under the request (`unknown`
 *   says whether the upstream may have acted);
 * - `bad_answer`: the upstream answered, but not with Streamable HTTP JSON-RPC (not JSON, too
 *   large, another content type, or ended without the response); it may have acted;
 * - `dropped`: the session's GET stream broke (reported through `onerror`);
 * - `ended`: the upstream ended the session's GET stream on purpose, after it served
 *   (through `onerror`);
 * - `ended_at_once`: the upstream ended it before it carried a message or outlived a request:
 *   a failure like `dropped`, or an upstream that always does it is reconnected in a loop.
 */
export type HttpTransportErrorKind =
  'refused' | 'session_gone' | 'unreachable' | 'bad_answer' | 'dropped' | 'ended' | 'ended_at_once';

/** A typed failure of `HttpTransport`; `refusal` is set for `refused`. */
export class HttpTransportError extends Error {
  override readonly name = 'HttpTransportError';

  constructor(
    readonly kind: HttpTransportErrorKind,
    message: string,
    readonly unknown = false,
    readonly refusal?: HttpRefusal,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The JSON-RPC error in a refusal's body, when the upstream sent one. */
export function rpcErrorIn(
  text: string,
): { readonly code: number; readonly message: string; readonly data?: unknown } | undefined {
  try {
    const error = (JSON.parse(text) as { error?: unknown } | null)?.error;
    if (
      isJsonObject(error) &&
      typeof error.code === 'number' &&
      typeof error.message === 'string'
    ) {
      return {
        code: error.code,
        message: error.message,
        ...(error.data === undefined ? {} : { data: error.data }),
      };
    }
  } catch {
    // Not JSON: the caller describes the text itself.
  }
  return undefined;
}

/** A refusal in a few words for a log line: `HTTP 401 (bad upstream token)`. */
export function describeRefusal({ status, text }: HttpRefusal): string {
  const said = rpcErrorIn(text)?.message ?? text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return said === '' ? `HTTP ${status}` : `HTTP ${status} (${said})`;
}

/**
 * A cheap structural check of what the upstream sends: a JSON-RPC 2.0 request, notification,
 * result or error. Lenient on purpose, unlike `isJsonRpcMessage` for agents' messages: an
 * upstream may add fields newer than the SDK's schema, and those are forwarded untouched.
 */
export function isRpcMessage(value: unknown): value is JSONRPCMessage {
  if (!isJsonObject(value) || value.jsonrpc !== '2.0') return false;
  if (typeof value.method === 'string') {
    return value.params === undefined || isJsonObject(value.params);
  }
  const id = value.id;
  if (typeof id !== 'string' && typeof id !== 'number' && id !== null) return false;
  if ('result' in value) return isJsonObject(value.result);
  const error = value.error;
  return isJsonObject(error) && typeof error.code === 'number' && typeof error.message === 'string';
}

/** A socket-level failure; `sent`: the request may have reached the upstream. */
export const connectionError = (error: unknown, sent: boolean): HttpTransportError => {
  const code = (error as { code?: unknown } | null)?.code;
  const base = messageOf(error);
  const reason = typeof code === 'string' && !base.includes(code) ? `${base} (${code})` : base;
  // A refused connection never carried the request; any later failure may have.
  const unknown = sent && code !== 'ECONNREFUSED';
  return new HttpTransportError('unreachable', reason, unknown, undefined, { cause: error });
};

// @internal The header checks of a POST that an endpoint answers itself, without the SDK's
// transport: when they fail, the SDK's transport answers, so that the refusal (406, 400) has
// its standard form.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  InitializeRequestParamsSchema,
  isJSONRPCRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';

import { replyError } from './httpReplies.js';

/** The SDK transport's refusal of an `MCP-Protocol-Version` it does not know, or undefined. */
export function unsupportedVersion(req: IncomingMessage): string | undefined {
  const version = req.headers['mcp-protocol-version'];
  if (version === undefined) return undefined;
  if (typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return undefined;
  }
  return `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`;
}

/**
 * True when the POST may be answered without the SDK transport: the client accepts both JSON
 * and SSE, as the spec asks, and names no protocol version the SDK does not know.
 */
export function plainAllowed(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return (
    accept.includes('application/json') &&
    accept.includes('text/event-stream') &&
    unsupportedVersion(req) === undefined
  );
}

/** Answer a POST that `plainAllowed` refused through a throwaway SDK transport. */
export async function refuseThroughSdk(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const refusal = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  refusal.onmessage = (message) => {
    if (!isJSONRPCRequest(message)) return;
    const error = { code: -32600, message: 'send Accept: application/json, text/event-stream' };
    void refusal
      .send({ jsonrpc: '2.0', id: message.id, error }, { relatedRequestId: message.id })
      .catch(() => undefined);
  };
  await refusal.start();
  res.once('close', () => void refusal.close().catch(() => undefined));
  await refusal.handleRequest(req, res, body);
}

/** The spec's answer (and the SDK's) to a second `initialize` in a session: 400, -32600. */
export function refuseSecondInitialize(res: ServerResponse): void {
  replyError(
    res,
    400,
    -32600,
    'Invalid Request: this session is initialized already: DELETE it and initialize without Mcp-Session-Id',
  );
}

/** The `initialize` request of a body that opens a session (one, not in a batch), or undefined. */
export function initializeOf(body: unknown): JSONRPCRequest | undefined {
  const message: unknown = Array.isArray(body) ? (body.length === 1 ? body[0] : undefined) : body;
  return isJSONRPCRequest(message) && message.method === 'initialize' ? message : undefined;
}

/**
 * Why an `initialize` request's params are malformed (the SDK's schema decides), as the -32602
 * message to answer it with; undefined when they are fine.
 */
export function initializeProblem(request: JSONRPCRequest): string | undefined {
  const checked = InitializeRequestParamsSchema.safeParse(request.params);
  if (checked.success) return undefined;
  const issue = checked.error.issues[0];
  const where =
    issue === undefined ? '' : ` (${issue.path.join('.') || 'params'}: ${issue.message})`;
  return `Invalid params: initialize needs a string protocolVersion, an object capabilities and a clientInfo with a string name and version${where}`;
}

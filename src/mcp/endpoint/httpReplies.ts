// @internal HTTP-level replies of the MCP endpoints, before (or instead of) the SDK's.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The path part of a request target, without the query. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** JSON-RPC error codes the server answers with itself. */
export const RpcCode = {
  /** Transport-level refusal (same code the SDK uses for its own HTTP errors). */
  server: -32000,
  parse: -32700,
  invalidRequest: -32600,
} as const;

/**
 * Answer with a JSON-RPC error body (`id: null`), the form the SDK uses for HTTP errors, so an
 * SDK client surfaces the message. `close` ends the connection after the response.
 */
export function replyError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  options: { headers?: Record<string, string>; close?: boolean } = {},
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...options.headers,
  };
  if (options.close) {
    headers.Connection = 'close';
    // The peer may still be sending a body we will not read: stop once the reply is out.
    res.once('finish', () => res.socket?.destroySoon());
  }
  res.writeHead(status, headers);
  res.end(body);
}

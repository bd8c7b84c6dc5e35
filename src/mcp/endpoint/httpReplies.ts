// @internal HTTP-level replies of the MCP endpoints, before (or instead of) the SDK's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answeredWithError } from './answeredError.js';

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
  // A socket Node already closed (a parse error in bytes after this request) takes no reply,
  // and ending the response on it would mark it finished without a `finish` event ever coming:
  // whoever waits for one (the request's tracking) would wait for good. Found by the fuzz tests.
  // (A pipelined response has no socket of its own yet: its request's tells.)
  if (res.headersSent || res.destroyed || (res.socket ?? res.req.socket).destroyed) {
    res.destroy();
    return;
  }
  answeredWithError(res, { code, message });
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

/**
 * Answer 503 with `Retry-After` (seconds) and a JSON-RPC error body: a cap of the server is
 * reached; `message` says which and what to do. The connection is closed after it, which frees
 * one for a client that is under its caps.
 */
export function replyUnavailable(res: ServerResponse, message: string, retryAfterS: number): void {
  replyError(res, 503, RpcCode.server, message, {
    headers: { 'Retry-After': String(retryAfterS) },
    close: true,
  });
}

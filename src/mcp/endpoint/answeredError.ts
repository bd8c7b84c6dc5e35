// @internal The JSON-RPC error a response answered its request with, kept by the response until
// its request is finished (`request.finished.error`, the span's `error.type`): every way an
// endpoint writes one (a POST's reply, a refusal) tells it here, so no path is missed.
import type { ServerResponse } from 'node:http';

import type { RpcErrorFacts } from '../../events/types.js';
import { MAX_MESSAGE } from './rpcFacts.js';

const errors = new WeakMap<ServerResponse, RpcErrorFacts>();

/** `res` answers with this error (only a single answer's error counts: a batch has many). */
export function answeredWithError(res: ServerResponse, error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'number' || !Number.isFinite(code)) return;
  const text = typeof message === 'string' ? message.slice(0, MAX_MESSAGE) : '';
  errors.set(res, { code, message: text });
}

/** The error `res` answered with, if it answered with one. */
export const answeredErrorOf = (res: ServerResponse): RpcErrorFacts | undefined => errors.get(res);

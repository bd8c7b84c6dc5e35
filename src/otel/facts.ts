// @internal Reading an event's facts for spans. A recording is hostile input (the tracker checks
// that `rpc` is an object, not what is inside it), so each fact is taken only when it has the
// type its event's shape says and skipped otherwise, field by field, without throwing.
import type { SpanContext } from '@opentelemetry/api';

import { isSpanId, isTraceId } from '../events/traceContext.js';
import { isJsonObject } from '../events/validate.js';

/** A JSON object, as a bag of unknown fields. */
export type Fields = Readonly<Record<string, unknown>>;

/** The object, or undefined for anything else (null, an array, a primitive). */
export const fieldsOf = (value: unknown): Fields | undefined =>
  isJsonObject(value) ? value : undefined;

/** A non-empty string, or undefined. */
export const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** A finite number, or undefined. */
export const numberOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** A JSON-RPC id as `jsonrpc.request.id` writes it: a string or a number, as a string. */
export const rpcIdOf = (value: unknown): string | undefined =>
  typeof value === 'string' || numberOf(value) !== undefined ? String(value) : undefined;

/** A network peer, address required, port only when it is one. */
export interface Peer {
  readonly address: string;
  readonly port: number | undefined;
}

export function peerOf(value: unknown): Peer | undefined {
  const fields = fieldsOf(value);
  const address = textOf(fields?.address);
  if (fields === undefined || address === undefined) return undefined;
  const port = fields.port;
  const valid = typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535;
  return { address, port: valid ? port : undefined };
}

/** W3C trace flags: a byte, default 1 (sampled). */
const flagsOf = (value: unknown): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255 ? value : 1;

/** `TraceFacts` with every field checked: a missing or malformed one is undefined. */
export interface Trace {
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  readonly parent: string | undefined;
  readonly flags: number;
  readonly state: string | undefined;
  /** The ambient context, only when both its ids are valid. */
  readonly link: SpanContext | undefined;
}

export function traceOf(value: unknown): Trace | undefined {
  const fields = fieldsOf(value);
  if (fields === undefined) return undefined;
  const link = fieldsOf(fields.link);
  const linked =
    link !== undefined && isTraceId(link.traceId) && isSpanId(link.spanId)
      ? { traceId: link.traceId, spanId: link.spanId, traceFlags: flagsOf(link.flags) }
      : undefined;
  return {
    traceId: isTraceId(fields.traceId) ? fields.traceId : undefined,
    spanId: isSpanId(fields.spanId) ? fields.spanId : undefined,
    parent: isSpanId(fields.parent) ? fields.parent : undefined,
    flags: flagsOf(fields.flags),
    // W3C caps tracestate at 512 characters; a longer one is not a tracestate.
    state:
      typeof fields.state === 'string' && fields.state.length <= 512 ? fields.state : undefined,
    link: linked && { ...linked, isRemote: true },
  };
}

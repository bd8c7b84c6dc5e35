// @internal What an endpoint notes of an agent's JSON-RPC message when it classifies the
// request (`request.classified.data.rpc`): its id, session, target, the agent's address and the
// span opened for it, a child of the agent's `params._meta.traceparent` when it sent one.
import type { IncomingMessage } from 'node:http';

import type { PeerFacts, RpcFacts, SessionOpened, TraceFacts } from '../../events/types.js';
import { parseTraceparent } from '../../events/traceContext.js';
import { isJsonObject } from '../../events/validate.js';
import { newSpanId, newTraceId } from './spanIds.js';

/** Longest `tracestate` kept (the W3C limit is 32 members of at most 256 characters). */
const MAX_TRACESTATE = 512;
/** Longest `baggage` kept (the W3C recommends at least 8,192 bytes be accepted). */
const MAX_BAGGAGE = 8192;
/** Longest tool or prompt name, or resource URI, noted (longer ones are not low-cardinality). */
export const MAX_TARGET = 256;
export const MAX_URI = 2048;
/** Longest error message or reason noted: an agent's or upstream's, of the length it chose. */
export const MAX_MESSAGE = 1024;

const TARGETED = new Set(['tools/call', 'prompts/get']);
const WITH_URI = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe']);

/** A non-empty string of at most `max` characters, else undefined (too long is not noted). */
export const boundedString = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;

const peer = (address: string | undefined, port: number | undefined): PeerFacts | undefined =>
  address === undefined ? undefined : port === undefined ? { address } : { address, port };

/** The agent's end of the connection, where the socket says. */
export const clientOf = (req: IncomingMessage): PeerFacts | undefined =>
  peer(req.socket.remoteAddress, req.socket.remotePort);

/** Where the endpoint listens, as the socket says. */
const serverOf = (req: IncomingMessage): PeerFacts | undefined =>
  peer(req.socket.localAddress, req.socket.localPort);

/**
 * A new span's trace facts: a child of the `traceparent` in `meta` when it holds a valid one
 * (with its `tracestate`), else the root of a new trace; `ambient` (an HTTP `traceparent`
 * header) becomes a link.
 */
export function traceFactsOf(meta: unknown, ambient?: unknown): TraceFacts {
  const carrier = isJsonObject(meta) ? meta : {};
  const parent = parseTraceparent(carrier.traceparent);
  const link = typeof ambient === 'string' ? parseTraceparent(ambient) : undefined;
  const state = parent && boundedString(carrier.tracestate, MAX_TRACESTATE);
  return {
    traceId: parent?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    ...(parent && { parent: parent.spanId, flags: parent.flags }),
    ...(state !== undefined && { state }),
    ...(link && { link }),
  };
}

/**
 * The agent's `baggage` from `params._meta`, for the requests sent upstream on its behalf: held
 * in memory only, never in the log (it often names users).
 */
export function baggageOf(body: unknown): string | undefined {
  const params = isJsonObject(body) && isJsonObject(body.params) ? body.params : undefined;
  const meta = isJsonObject(params?._meta) ? params._meta : undefined;
  return boundedString(meta?.baggage, MAX_BAGGAGE);
}

/**
 * What the requests sent upstream for an agent request descend from: its span when it was
 * tracked (`request` set), else the agent's own context (a request served untracked has no span
 * of its own to be the parent).
 */
export function spanParentOf(
  capture: string,
  request: string | undefined,
  rpc: RpcFacts,
  baggage: string | undefined,
): SpanParent {
  const { trace } = rpc;
  const from =
    request !== undefined
      ? trace
      : trace?.parent === undefined
        ? undefined
        : {
            traceId: trace.traceId,
            spanId: trace.parent,
            ...(trace.flags !== undefined && { flags: trace.flags }),
            ...(trace.state !== undefined && { state: trace.state }),
          };
  return {
    capture,
    ...(request !== undefined && { request }),
    ...(from && { trace: from }),
    ...(baggage !== undefined && { baggage }),
  };
}

/** The facts of one POST's body (a single message; a batch gets only its session and span). */
export function rpcFactsOf(body: unknown, req: IncomingMessage): RpcFacts {
  const session = boundedString(req.headers['mcp-session-id'], MAX_TARGET);
  const client = clientOf(req);
  const message = isJsonObject(body) ? body : undefined;
  const method = typeof message?.method === 'string' ? message.method : undefined;
  const params = isJsonObject(message?.params) ? message.params : undefined;
  const id = typeof message?.id === 'string' ? boundedString(message.id, MAX_TARGET) : message?.id;
  const target =
    method !== undefined && TARGETED.has(method)
      ? boundedString(params?.name, MAX_TARGET)
      : undefined;
  const uri =
    method !== undefined && WITH_URI.has(method) ? boundedString(params?.uri, MAX_URI) : undefined;
  return {
    ...((typeof id === 'string' || typeof id === 'number') && { id }),
    ...(session !== undefined && { session }),
    ...(target !== undefined && { target }),
    ...(uri !== undefined && { uri }),
    ...(client && { client }),
    trace: traceFactsOf(params?._meta, req.headers.traceparent),
  };
}

/** What a request sent upstream was for: the agent's request and its span, an outbox entry. */
export interface SpanParent {
  readonly capture?: string;
  /** The agent's request (`rq_…`). */
  readonly request?: string;
  readonly toolCall?: string;
  /** The outbox entry a delivery is for. */
  readonly outbox?: string;
  /** The agent request's span: the client span is its child. */
  readonly trace?: TraceFacts;
  /** The agent's `baggage`, passed on upstream (never logged). */
  readonly baggage?: string;
}

/** What `session.opened` says of a session an `initialize` over HTTP opened. */
export function openedFacts(
  session: string,
  params: unknown,
  req: IncomingMessage,
): SessionOpened['data'] {
  const hello = isJsonObject(params) ? params : {};
  const info = isJsonObject(hello.clientInfo) ? hello.clientInfo : {};
  const protocolVersion = boundedString(hello.protocolVersion, MAX_TARGET);
  const clientName = boundedString(info.name, MAX_TARGET);
  const clientVersion = boundedString(info.version, MAX_TARGET);
  const server = serverOf(req);
  return {
    session,
    ...(protocolVersion !== undefined && { protocolVersion }),
    transport: 'tcp',
    ...(server && { server }),
    ...(clientName !== undefined && { clientName }),
    ...(clientVersion !== undefined && { clientVersion }),
  };
}

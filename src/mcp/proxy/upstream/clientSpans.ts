// @internal The client span of every request a proxy or gateway sends upstream, as two notes
// (`upstream.requested`, `upstream.answered`), with its `traceparent` injected into the
// request's `params._meta`: the upstream's own spans become its children.
import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';

import { formatTraceparent } from '../../../events/traceContext.js';
import type {
  PeerFacts,
  TraceFacts,
  UpstreamAnswered,
  UpstreamOutcome,
  UpstreamRequested,
} from '../../../events/types.js';
import { isJsonObject } from '../../../events/validate.js';
import {
  boundedString,
  MAX_MESSAGE,
  MAX_TARGET,
  MAX_URI,
  type SpanParent,
} from '../../endpoint/rpcFacts.js';
import { newSpanId, newTraceId } from '../../endpoint/spanIds.js';
import type { ProxyUpstream } from './Upstream.js';
import { isHttpUpstream } from './upstreamTransport.js';

/** How a client span ended: the kind of answer, and its error where there was one. */
export interface SpanEnd {
  readonly outcome: UpstreamOutcome;
  readonly error?: { readonly code: number; readonly message: string };
  readonly reason?: string;
}

/** Where the notes go (the tracker's `note`, recorded safely). */
export type SpanNote = (
  type: 'upstream.requested' | 'upstream.answered',
  data: UpstreamRequested['data'] | UpstreamAnswered['data'],
  capture: string | undefined,
) => void;

/** The upstream's address, for `server.address` and `server.port` (an HTTP one only). */
function peerOf(upstream: ProxyUpstream): PeerFacts | undefined {
  if (!isHttpUpstream(upstream)) return undefined;
  try {
    const url = new URL(upstream.url);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    // IPv6 literals come bracketed; the attribute wants the address itself.
    return { address: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  } catch {
    return undefined;
  }
}

/** The `params._meta` keys of W3C trace context (SEP-414: unprefixed). */
const TRACE_KEYS = new Set(['traceparent', 'tracestate', 'baggage']);

/** The client spans of one upstream. */
export class ClientSpans {
  readonly #transport: 'tcp' | 'pipe';
  readonly #peer: PeerFacts | undefined;

  constructor(
    private readonly server: string,
    upstream: ProxyUpstream,
    private readonly note: SpanNote,
  ) {
    this.#transport = isHttpUpstream(upstream) ? 'tcp' : 'pipe';
    this.#peer = peerOf(upstream);
  }

  /**
   * Open the span of `request` (already under the upstream's id): returns the request to send,
   * its `params._meta` carrying the span's `traceparent` (and the agent's `tracestate` and
   * `baggage`), and the function that ends the span.
   */
  begin(
    request: JSONRPCRequest,
    parent: SpanParent | undefined,
    session: { readonly id?: string; readonly protocolVersion?: string },
  ): { readonly outgoing: JSONRPCRequest; readonly end: (end: SpanEnd) => void } {
    const from = parent?.trace;
    const trace: TraceFacts = {
      traceId: from?.traceId ?? newTraceId(),
      spanId: newSpanId(),
      ...(from && { parent: from.spanId }),
      ...(from?.flags !== undefined && { flags: from.flags }),
      ...(from?.state !== undefined && { state: from.state }),
    };
    const baggage = parent?.baggage;
    const params = isJsonObject(request.params) ? request.params : {};
    const target =
      request.method === 'tools/call' || request.method === 'prompts/get'
        ? boundedString(params.name, MAX_TARGET)
        : undefined;
    const uri = request.method.startsWith('resources/')
      ? boundedString(params.uri, MAX_URI)
      : undefined;
    const capture = parent?.capture;
    // What the upstream chose (its session id, its version), bounded like the agent's facts.
    const upstreamSession = boundedString(session.id, MAX_TARGET);
    const protocolVersion = boundedString(session.protocolVersion, MAX_TARGET);
    this.note(
      'upstream.requested',
      {
        server: this.server,
        method: request.method,
        rpcId: request.id,
        ...(upstreamSession !== undefined && { session: upstreamSession }),
        ...(protocolVersion !== undefined && { protocolVersion }),
        ...(target !== undefined && { target }),
        ...(uri !== undefined && { uri }),
        transport: this.#transport,
        ...(this.#peer && { peer: this.#peer }),
        ...(parent?.request !== undefined && { request: parent.request }),
        ...(parent?.toolCall !== undefined && { toolCall: parent.toolCall }),
        ...(parent?.outbox !== undefined && { outbox: parent.outbox }),
        trace,
      },
      capture,
    );
    const meta = isJsonObject(params._meta) ? params._meta : {};
    // The agent's own trace keys give way to the span's: the upstream is its child, not the
    // agent's. Every other own key of `_meta` goes as the agent sent it (`__proto__` included,
    // as JSON may carry it).
    const rest = Object.fromEntries(Object.entries(meta).filter(([key]) => !TRACE_KEYS.has(key)));
    const outgoing: JSONRPCRequest = {
      ...request,
      params: {
        ...params,
        _meta: {
          ...rest,
          traceparent: formatTraceparent(trace.traceId, trace.spanId, trace.flags ?? 1),
          ...(trace.state !== undefined && { tracestate: trace.state }),
          ...(baggage !== undefined && { baggage }),
        },
      },
    };
    let ended = false;
    return {
      outgoing,
      end: (end) => {
        if (ended) return;
        ended = true;
        this.note(
          'upstream.answered',
          {
            server: this.server,
            span: trace.spanId,
            outcome: end.outcome,
            ...(end.error && {
              error: { code: end.error.code, message: end.error.message.slice(0, MAX_MESSAGE) },
            }),
            ...(end.reason !== undefined && { reason: end.reason.slice(0, MAX_MESSAGE) }),
          },
          capture,
        );
      },
    };
  }
}

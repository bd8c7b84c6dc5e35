// @internal One live connection to the upstream (an HTTP session or one child process): its
// requests waiting for an answer, under ids of the proxy's own, and the messages it sends.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import { Deadline, type Expiry } from './deadline.js';
import { describeRefusal, HttpTransportError, type HttpRefusal } from './httpTransportError.js';
import type { RelatedExtra } from './httpTransport.js';
import { UnsendableMessage } from './unsendable.js';
import type { SpanParent } from '../../endpoint/rpcFacts.js';
import type { ClientSpans, SpanEnd } from './clientSpans.js';
import { messageOf } from '../../../errors.js';

/** What became of one forwarded request. */
export type Forwarded =
  /** The upstream answered (a result or a JSON-RPC error), with the agent's id restored. */
  | { readonly kind: 'answer'; readonly message: JSONRPCMessage }
  /** The upstream refused the HTTP request itself (4xx or 5xx other than 502/503/504). */
  | { readonly kind: 'refused'; readonly refusal: HttpRefusal }
  /** The upstream no longer knows the session (HTTP 404): the request was not processed. */
  | { readonly kind: 'session_gone' }
  /** The request could not be serialized (nested too deep): never sent, the session is fine. */
  | { readonly kind: 'unsendable'; readonly reason: string }
  /**
   * The agent cancelled it, or went away (`gone`); the upstream was told and owes no answer.
   */
  | { readonly kind: 'cancelled'; readonly reason: string; readonly gone: boolean }
  /**
   * No answer before the request's deadline (`Expiry`); the upstream was told to stop, and may
   * have acted: its outcome is unknown, and a late answer is dropped.
   */
  | ({ readonly kind: 'timed_out'; readonly reason: string } & Expiry)
  /**
   * The upstream could not be reached or went away. `unknown` is true when the request may have
   * reached it (its outcome is unknown), false when it surely did not.
   */
  | { readonly kind: 'unreachable'; readonly reason: string; readonly unknown: boolean };

/**
 * Why `method` did not get a result, as a sentence for a log line or a notice (never the
 * outcome's JSON): `the upstream refused initialize: HTTP 500 (boom)`.
 */
export function describeFailure(method: string, outcome: Forwarded): string {
  switch (outcome.kind) {
    case 'answer': {
      const { message } = outcome;
      return 'error' in message
        ? `the upstream answered ${method} with error ${message.error.code}: ${message.error.message}`
        : `the upstream answered ${method} without a result`;
    }
    case 'refused':
      return `the upstream refused ${method}: ${describeRefusal(outcome.refusal)}`;
    case 'session_gone':
      return 'the upstream no longer knows the session (HTTP 404)';
    case 'unsendable':
      return outcome.reason;
    case 'cancelled':
      return `${method} was cancelled: ${outcome.reason}`;
    case 'timed_out':
      return `${method} ${outcome.reason}`;
    case 'unreachable':
      return outcome.reason;
  }
}

/** Who a forwarded request came from, and where its progress goes. */
export interface AgentRoute {
  /** Cancellations must come from the same scope (the agent's capture key). Default ''. */
  readonly scope?: string;
  readonly onNotification?: (message: JSONRPCNotification) => void;
  /**
   * Every other message the upstream sends about this request (a log line, a question for the
   * agent): on its answer stream over HTTP. Without it they go where unrelated messages go.
   */
  readonly onRelated?: (message: JSONRPCNotification | JSONRPCRequest, toolCall?: string) => void;
  /** What the request is for: its client span is a child of that agent request's span. */
  readonly span?: SpanParent | undefined;
}

/** A route that says everything (the span, when the request has one). */
export type AgentRouteOf = Required<Omit<AgentRoute, 'span'>> & Pick<AgentRoute, 'span'>;

/** How a request's client span ends, by what became of it. */
function spanEndOf(method: string, outcome: Forwarded): SpanEnd {
  switch (outcome.kind) {
    case 'answer': {
      const { message } = outcome;
      if ('error' in message) {
        const { code, message: text } = message.error;
        return { outcome: 'error', error: { code, message: text } };
      }
      const result = 'result' in message ? (message.result as { isError?: unknown }) : undefined;
      return method === 'tools/call' && result?.isError === true
        ? { outcome: 'tool_error' }
        : { outcome: 'result' };
    }
    case 'refused':
    case 'session_gone':
      return { outcome: 'refused', reason: describeFailure(method, outcome) };
    case 'cancelled':
      return { outcome: 'cancelled', reason: outcome.reason };
    case 'timed_out':
      return { outcome: 'timed_out', reason: describeFailure(method, outcome) };
    case 'unsendable':
    case 'unreachable':
      return { outcome: 'unreachable', reason: outcome.reason };
  }
}

interface Waiting {
  readonly agentId: RequestId;
  readonly scope: string;
  /** The agent's own progress token; the upstream gets the proxy's id instead. */
  readonly progressToken: string | number | undefined;
  readonly onNotification: ((message: JSONRPCNotification) => void) | undefined;
  readonly onRelated: AgentRoute['onRelated'];
  readonly settle: (outcome: Forwarded) => void;
  readonly deadline: Deadline | undefined;
}

/** How long a session waits for each answer (see `ProxyOptions.requestTimeoutMs`). */
export interface SessionDeadlines {
  readonly scheduler: SchedulerLike;
  readonly requestTimeoutMs: number;
  readonly maxRequestTotalMs: number;
}

/** Why a request timed out, naming the option that bounds it: `timed out after 60000 ms …`. */
function describeExpiry({ total, limitMs, elapsedMs, extended }: Expiry): string {
  if (total) {
    return `timed out after ${elapsedMs} ms: the most a request may take, progress or not (maxRequestTotalMs ${limitMs})`;
  }
  return extended
    ? `timed out after ${elapsedMs} ms: no answer or progress for ${limitMs} ms (requestTimeoutMs)`
    : `timed out after ${elapsedMs} ms without an answer (requestTimeoutMs)`;
}

/** True when a failed send means the connection is gone, not just this request's answer. */
const connectionLost = (error: unknown): boolean =>
  !(error instanceof HttpTransportError) ||
  error.kind === 'unreachable' ||
  error.kind === 'dropped' ||
  error.kind === 'ended';

/** What became of a request whose send failed: a typed HTTP failure, or a child's. */
function failed(error: unknown): Forwarded {
  // Never sent, so not `unreachable`: the connection is as good as before (see `connectionLost`).
  if (error instanceof UnsendableMessage) return { kind: 'unsendable', reason: error.message };
  if (error instanceof HttpTransportError) {
    if (error.kind === 'session_gone') return { kind: 'session_gone' };
    if (error.kind === 'refused' && error.refusal !== undefined) {
      return { kind: 'refused', refusal: error.refusal };
    }
    return { kind: 'unreachable', reason: error.message, unknown: error.unknown };
  }
  // The stdio transport: a child that is not running never got the request.
  const reason = messageOf(error);
  return { kind: 'unreachable', reason, unknown: !/not running/.test(reason) };
}

/** A transport that can stop waiting for one request's answer (the HTTP one: see `abort`). */
type AbortingTransport = Transport & { abort?: (id: RequestId) => void };

/** One connection: forward requests, route what comes back. */
export class UpstreamSession {
  /** Notifications and requests that are not answers to a pending request. */
  onServerMessage?: (message: JSONRPCNotification | JSONRPCRequest) => void;
  /** A send failed because the connection is gone (not a refusal or a malformed answer). */
  onLost?: (reason: string) => void;
  readonly #pending = new Map<number, Waiting>();
  #nextId = 1;
  #ended: string | undefined;

  constructor(
    readonly transport: AbortingTransport,
    private readonly deadlines: SessionDeadlines,
    /** Where each request's client span goes; `protocolVersion` once the handshake answered. */
    private readonly spans?: {
      readonly spans: ClientSpans;
      readonly protocolVersion: () => string | undefined;
    },
  ) {
    transport.onmessage = (message, extra?: RelatedExtra) =>
      this.#receive(message, extra?.relatedRequestId);
  }

  /** Requests sent and not answered yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Forward a request under an id of the proxy's own (its progress token, if any, becomes that
   * id too: agents' ids and tokens may collide, the proxy's never do); resolves with what
   * became of it. `timed: false` for the link's own `initialize`, which its connect deadline
   * bounds and which must never be cancelled.
   */
  forward(request: JSONRPCRequest, route: AgentRoute = {}, timed = true): Promise<Forwarded> {
    if (this.#ended !== undefined) {
      return Promise.resolve({ kind: 'unreachable', reason: this.#ended, unknown: false });
    }
    const id = this.#nextId++;
    const token = request.params?._meta?.progressToken;
    let outgoing: JSONRPCRequest =
      token === undefined
        ? { ...request, id }
        : {
            ...request,
            id,
            params: { ...request.params, _meta: { ...request.params?._meta, progressToken: id } },
          };
    const span = this.spans?.spans.begin(outgoing, route.span, {
      id: (this.transport as { sessionId?: string }).sessionId,
      protocolVersion: this.spans.protocolVersion(),
    });
    if (span) outgoing = span.outgoing;
    return new Promise<Forwarded>((resolve) => {
      const settle = (outcome: Forwarded): void => {
        const waiting = this.#pending.get(id);
        if (waiting?.settle !== settle) return;
        waiting.deadline?.clear();
        this.#pending.delete(id);
        span?.end(spanEndOf(request.method, outcome));
        resolve(outcome);
      };
      const { scheduler, requestTimeoutMs, maxRequestTotalMs } = this.deadlines;
      this.#pending.set(id, {
        agentId: request.id,
        scope: route.scope ?? '',
        progressToken: token,
        onNotification: route.onNotification,
        onRelated: route.onRelated,
        settle,
        deadline: timed
          ? new Deadline(scheduler, requestTimeoutMs, maxRequestTotalMs, (expiry) =>
              this.#timedOut(id, expiry),
            )
          : undefined,
      });
      this.transport.send(outgoing).catch((error: unknown) => {
        // A request that already ended (timed out, cancelled) owes nothing: its HTTP stream
        // failing afterwards (an upstream may drop it to stop) says nothing of the connection.
        if (this.#pending.get(id)?.settle !== settle) return;
        const outcome = failed(error);
        // Settled first: a lost connection ends the session, which fails the others as unknown.
        settle(outcome);
        if (outcome.kind === 'unreachable' && connectionLost(error)) this.onLost?.(outcome.reason);
      });
    });
  }

  /** Send a notification (the agent's `cancelled` gets the upstream's id of its request). */
  async notify(message: JSONRPCNotification, scope = '', gone = false): Promise<void> {
    if (this.#ended !== undefined) return;
    let outgoing = message;
    if (message.method === 'notifications/cancelled') {
      const agentId = message.params?.requestId;
      const match = [...this.#pending].find(
        ([, waiting]) => waiting.agentId === agentId && waiting.scope === scope,
      );
      if (match === undefined) return;
      outgoing = { ...message, params: { ...message.params, requestId: match[0] } };
      const reason = message.params?.reason;
      match[1].settle({
        kind: 'cancelled',
        reason: typeof reason === 'string' ? reason : 'cancelled by the agent',
        gone,
      });
      // Told first, then its answer's connection let go of (an upstream may go on regardless).
      const sent = this.transport.send(outgoing);
      this.transport.abort?.(match[0]);
      return sent;
    }
    await this.transport.send(outgoing);
  }

  /** Answer a request the upstream sent (the proxy's own ping reply, or a refusal). */
  async reply(message: JSONRPCMessage): Promise<void> {
    if (this.#ended === undefined) await this.transport.send(message);
  }

  /**
   * Cancel every request still waiting (the agent ended its session): each settles `cancelled`,
   * and the upstream is told to stop each, under its own id.
   */
  async cancelAll(reason: string): Promise<void> {
    if (this.#ended !== undefined) return;
    const ids = [...this.#pending.keys()];
    for (const id of ids) this.#pending.get(id)?.settle({ kind: 'cancelled', reason, gone: false });
    await Promise.all(
      ids.map((id) => {
        const sent = this.transport.send({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason },
        });
        this.transport.abort?.(id);
        return sent.catch(() => undefined);
      }),
    );
  }

  /** The connection ended: every pending request is unreachable, with `reason`. */
  end(reason: string): void {
    this.#ended ??= reason;
    for (const waiting of [...this.#pending.values()]) {
      waiting.settle({ kind: 'unreachable', reason, unknown: true });
    }
  }

  // What arrives was checked by the transport (JSON-RPC shaped); no schema parse per message.
  #receive(message: JSONRPCMessage, relatedId?: RequestId): void {
    if (!('method' in message)) {
      const id = message.id;
      const waiting = typeof id === 'number' ? this.#pending.get(id) : undefined;
      waiting?.settle({ kind: 'answer', message: { ...message, id: waiting.agentId } });
      return;
    }
    if (message.method === 'notifications/progress' && !('id' in message)) {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      const waiting = typeof token === 'number' ? this.#pending.get(token) : undefined;
      if (waiting?.progressToken !== undefined) {
        // Progress is news: the request's window starts again (its total bound stands).
        waiting.deadline?.extend();
        const params = { ...message.params, progressToken: waiting.progressToken };
        waiting.onNotification?.({ ...message, params });
      }
      return;
    }
    const related = typeof relatedId === 'number' ? this.#pending.get(relatedId) : undefined;
    if (related?.onRelated !== undefined) related.onRelated(message);
    else this.onServerMessage?.(message);
  }

  /**
   * The deadline passed: the agent gets its answer now, the upstream is told to stop (under its
   * own id), and whatever it answers later finds nobody waiting and is dropped.
   */
  #timedOut(id: number, expiry: Expiry): void {
    const waiting = this.#pending.get(id);
    if (waiting === undefined) return;
    const reason = describeExpiry(expiry);
    waiting.settle({ kind: 'timed_out', reason, ...expiry });
    const cancel: JSONRPCNotification = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason },
    };
    // On a timer: nothing may throw out of here, a transport that throws at once included.
    try {
      this.transport.send(cancel).catch(() => undefined);
      // And the answer's connection let go of: an upstream that goes on holds none of ours.
      this.transport.abort?.(id);
    } catch {
      // The connection is gone; its own failure is reported where it is noticed.
    }
  }
}

// @internal One live connection to the upstream (an HTTP session or one child process): its
// requests waiting for an answer, under ids of the proxy's own, and the messages it sends.
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import type { HttpRefusal, UpstreamTransport } from './upstreamTransport.js';

/** What became of one forwarded request. */
export type Forwarded =
  /** The upstream answered (a result or a JSON-RPC error), with the agent's id restored. */
  | { readonly kind: 'answer'; readonly message: JSONRPCMessage }
  /** The upstream refused the HTTP request itself (4xx or 5xx other than 502/503/504). */
  | { readonly kind: 'refused'; readonly refusal: HttpRefusal }
  /** The upstream no longer knows the session (HTTP 404): the request was not processed. */
  | { readonly kind: 'session_gone' }
  /**
   * The agent cancelled it, or went away (`gone`); the upstream was told and owes no answer.
   */
  | { readonly kind: 'cancelled'; readonly reason: string; readonly gone: boolean }
  /**
   * The upstream could not be reached or went away. `unknown` is true when the request may have
   * reached it (its outcome is unknown), false when it surely did not.
   */
  | { readonly kind: 'unreachable'; readonly reason: string; readonly unknown: boolean };

/** Who a forwarded request came from, and where its progress goes. */
export interface AgentRoute {
  /** Cancellations must come from the same scope (the agent's capture key). Default ''. */
  readonly scope?: string;
  readonly onNotification?: (message: JSONRPCNotification) => void;
}

interface Waiting {
  readonly agentId: RequestId;
  readonly scope: string;
  /** The agent's own progress token; the upstream gets the proxy's id instead. */
  readonly progressToken: string | number | undefined;
  readonly onNotification: ((message: JSONRPCNotification) => void) | undefined;
  readonly settle: (outcome: Forwarded) => void;
}

const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 ? code : undefined;
};

const messageOf = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const base = error instanceof Error ? error.message : String(error);
  return typeof cause?.code === 'string' ? `${base} (${cause.code})` : base;
};

/** One connection: forward requests, route what comes back. */
export class UpstreamSession {
  /** Notifications and requests that are not answers to a pending request. */
  onServerMessage?: (message: JSONRPCNotification | JSONRPCRequest) => void;
  readonly #pending = new Map<number, Waiting>();
  #nextId = 1;
  #ended: string | undefined;

  constructor(readonly link: UpstreamTransport) {
    link.transport.onmessage = (message) => this.#receive(message);
  }

  get transport() {
    return this.link.transport;
  }

  /** Requests sent and not answered yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Forward a request under an id of the proxy's own (its progress token, if any, becomes that
   * id too: agents' ids and tokens may collide, the proxy's never do); resolves with what
   * became of it.
   */
  forward(request: JSONRPCRequest, route: AgentRoute = {}): Promise<Forwarded> {
    if (this.#ended !== undefined) {
      return Promise.resolve({ kind: 'unreachable', reason: this.#ended, unknown: false });
    }
    const id = this.#nextId++;
    const token = request.params?._meta?.progressToken;
    const outgoing =
      token === undefined
        ? { ...request, id }
        : {
            ...request,
            id,
            params: { ...request.params, _meta: { ...request.params?._meta, progressToken: id } },
          };
    return new Promise<Forwarded>((resolve) => {
      const settle = (outcome: Forwarded): void => {
        if (this.#pending.get(id)?.settle !== settle) return;
        this.#pending.delete(id);
        resolve(outcome);
      };
      this.#pending.set(id, {
        agentId: request.id,
        scope: route.scope ?? '',
        progressToken: token,
        onNotification: route.onNotification,
        settle,
      });
      this.transport.send(outgoing).catch((error: unknown) => {
        const refusal = this.link.refusals.get(id);
        this.link.refusals.delete(id);
        const status = statusOf(error);
        if (status === 404) return settle({ kind: 'session_gone' });
        if (refusal !== undefined && status !== 502 && status !== 503 && status !== 504) {
          return settle({ kind: 'refused', refusal });
        }
        const reason =
          status !== undefined ? `the upstream answered HTTP ${status}` : messageOf(error);
        // A refused connection or a 5xx gateway answer: the request was not processed.
        const unknown = status === undefined && !/ECONNREFUSED|not running/.test(reason);
        settle({ kind: 'unreachable', reason, unknown });
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
    }
    await this.transport.send(outgoing);
  }

  /** Answer a request the upstream sent (the proxy's own ping reply, or a refusal). */
  async reply(message: JSONRPCMessage): Promise<void> {
    if (this.#ended === undefined) await this.transport.send(message);
  }

  /** The connection ended: every pending request is unreachable, with `reason`. */
  end(reason: string): void {
    this.#ended ??= reason;
    for (const waiting of [...this.#pending.values()]) {
      waiting.settle({ kind: 'unreachable', reason, unknown: true });
    }
  }

  #receive(message: JSONRPCMessage): void {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const id = typeof message.id === 'number' ? message.id : undefined;
      const waiting = id === undefined ? undefined : this.#pending.get(id);
      waiting?.settle({ kind: 'answer', message: { ...message, id: waiting.agentId } });
      return;
    }
    if (isJSONRPCNotification(message) && message.method === 'notifications/progress') {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      const waiting = typeof token === 'number' ? this.#pending.get(token) : undefined;
      if (waiting?.progressToken !== undefined) {
        const params = { ...message.params, progressToken: waiting.progressToken };
        waiting.onNotification?.({ ...message, params });
      }
      return;
    }
    if (isJSONRPCNotification(message) || isJSONRPCRequest(message)) {
      this.onServerMessage?.(message);
    }
  }
}

// @internal The SDK `Transport` of one loopback MCP server (one per session, or one per request
// without a session): messages come from POSTs the server has parsed, and what the SDK server
// sends goes back on the reply of the POST it belongs to. A reply is plain JSON unless a related
// message (progress, a log line, a question for the agent) must go first; a message related to
// no request goes to the session's GET stream.
import type {
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import type { AgentAsks } from './agentAsks.js';
import type { PostReply } from '../endpoint/postReply.js';
import { rpcError } from '../endpoint/rpcShape.js';

const isResponse = (message: JSONRPCMessage) =>
  isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);

/** Where the answer to one request, and what relates to it, go. */
export interface Route<S> {
  /** Who sent the request: what its handlers serve. */
  readonly scope: S;
  readonly answer: (message: JSONRPCMessage) => void;
  readonly related: (message: JSONRPCMessage) => void;
}

/** One server's channel to its agent. */
export class PostChannel<S> implements Transport {
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #routes = new Map<RequestId, Route<S>>();
  #closed = false;

  constructor(
    /** Where a message related to no open request goes (the GET stream); dropped when absent. */
    private readonly unrelated: ((message: JSONRPCMessage) => void) | undefined,
    /** The questions this channel's server asked its agent, noted in the log. */
    readonly asks: AgentAsks,
    readonly sessionId?: string,
  ) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** The scope of the open request `id`; undefined once it was answered. */
  scopeOf(id: RequestId): S | undefined {
    return this.#routes.get(id)?.scope;
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const id = response ? (message as { id: RequestId }).id : options?.relatedRequestId;
    const route = id === undefined ? undefined : this.#routes.get(id);
    if (!response) this.asks.outgoing(message);
    if (route === undefined) {
      // An answer whose POST went away has nowhere to go; anything else goes on the stream.
      if (!response) this.unrelated?.(message);
      return Promise.resolve();
    }
    if (response) {
      this.#routes.delete(id!);
      route.answer(message);
    } else route.related(message);
    return Promise.resolve();
  }

  /**
   * Hand one message to the server; a request's answer and related messages go to `route`. A
   * request whose id is still open on this channel is answered -32600 here and never reaches
   * the server: two open requests with one id could not have their answers told apart.
   */
  deliver(message: JSONRPCMessage, route: Route<S>, extra?: MessageExtraInfo): void {
    if (isJSONRPCRequest(message)) {
      if (this.#closed || this.#routes.has(message.id)) {
        const why = this.#closed
          ? 'Connection closed: the session ended'
          : `Invalid Request: id ${JSON.stringify(message.id)} is used by a request not answered yet`;
        route.answer(rpcError(message.id, this.#closed ? -32000 : -32600, why));
        return;
      }
      this.#routes.set(message.id, route);
    } else if (this.#closed) return;
    else if (isResponse(message)) this.asks.incoming(message);
    this.onmessage?.(message, extra);
  }

  /**
   * Hand the messages of one POST to the server and answer them all on `reply`, once every
   * request among them is answered (202 at once when there is none). Resolves when the reply
   * is finished, or when its client went away first.
   */
  post(
    messages: readonly JSONRPCMessage[],
    scope: S,
    reply: PostReply,
    extra?: MessageExtraInfo,
  ): Promise<void> {
    const ids = messages.filter(isJSONRPCRequest).map((message) => message.id);
    const requests = ids.length;
    return new Promise((resolve) => {
      const answers: JSONRPCMessage[] = [];
      const done = (): void => {
        // Only this POST's own routes: an id may be open on another POST by now.
        for (const id of ids) if (this.#routes.get(id) === route) this.#routes.delete(id);
        resolve();
      };
      const route: Route<S> = {
        scope,
        answer: (message) => {
          answers.push(message);
          if (answers.length < requests) return;
          reply.finish(answers);
          done();
        },
        // The reply already ended (its client went away): the GET stream keeps it.
        related: (message) => void (reply.event(message) || this.unrelated?.(message)),
      };
      reply.onClose(done);
      for (const message of messages) this.deliver(message, route, extra);
      if (requests === 0) {
        reply.finish([]);
        done();
      }
    });
  }

  /**
   * The agent cancelled the open request `id` (not a tool call: those end through their own
   * outcome): answer its POST -32800, and let the server abort its handler. False when no
   * request of that id is open.
   */
  cancel(id: RequestId, reason: string, notification: JSONRPCMessage): boolean {
    const route = this.#routes.get(id);
    if (route === undefined) return false;
    this.#routes.delete(id);
    route.answer(rpcError(id, -32800, `Request cancelled: ${reason}`));
    this.onmessage?.(notification);
    return true;
  }

  /**
   * Close: every request still open gets an error answer (-32000, `reason`), so that no reply
   * waits for good on a server that is gone.
   */
  close(reason = 'the session ended'): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const open = [...this.#routes];
    this.#routes.clear();
    for (const [id, route] of open)
      route.answer(rpcError(id, -32000, `Connection closed: ${reason}`));
    this.onclose?.();
    return Promise.resolve();
  }
}

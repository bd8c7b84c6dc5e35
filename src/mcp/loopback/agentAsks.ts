// @internal The questions a loopback server's tools asked their agent (elicitation, sampling,
// roots), noted in the log as `agent.asked` and `agent.answered`, like the proxy's relays: while
// one is open, the call it names waits on the agent.
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** The data of one note. */
export interface AskNoteData {
  readonly method: string;
  readonly relay: string;
  readonly toolCall?: string;
  readonly error?: string;
}

/** Notes a question or its answer in the log. */
export type AskNote = (type: 'agent.asked' | 'agent.answered', data: AskNoteData) => void;

interface Asked {
  readonly method: string;
  readonly toolCall: string | undefined;
}

/** The open questions of one server. */
export class AgentAsks {
  readonly #open = new Map<RequestId, Asked>();
  #asking: { readonly toolCall: string | undefined } | undefined;

  constructor(private readonly note: AskNote) {}

  /** Run `ask`, which sends its request at once: the question of the tool call `toolCall`. */
  asking<T>(toolCall: string | undefined, ask: () => T): T {
    this.#asking = { toolCall };
    try {
      return ask();
    } finally {
      this.#asking = undefined;
    }
  }

  /** A message the server sends its agent. */
  outgoing(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message)) {
      const toolCall = this.#asking?.toolCall;
      this.#open.set(message.id, { method: message.method, toolCall });
      this.#noted('agent.asked', message.id, { method: message.method, toolCall });
      return;
    }
    // The server gave up on a question (its deadline, the call ended): the agent owes nothing.
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const { requestId, reason } = (message.params ?? {}) as {
        requestId?: RequestId;
        reason?: string;
      };
      if (requestId !== undefined) this.#answered(requestId, reason ?? 'cancelled');
    }
  }

  /** An answer from the agent. */
  incoming(message: JSONRPCMessage): void {
    const { id } = message as { id?: RequestId };
    if (id === undefined) return;
    this.#answered(id, isJSONRPCErrorResponse(message) ? message.error.message : undefined);
  }

  /** The server's channel closed: every open question is over. */
  closed(reason: string): void {
    for (const id of [...this.#open.keys()]) this.#answered(id, reason);
  }

  #answered(id: RequestId, error: string | undefined): void {
    const asked = this.#open.get(id);
    if (asked === undefined) return;
    this.#open.delete(id);
    this.#noted('agent.answered', id, asked, error);
  }

  #noted(
    type: 'agent.asked' | 'agent.answered',
    id: RequestId,
    asked: Asked,
    error?: string,
  ): void {
    this.note(type, {
      method: asked.method,
      relay: String(id),
      ...(asked.toolCall === undefined ? {} : { toolCall: asked.toolCall }),
      ...(error === undefined ? {} : { error }),
    });
  }
}

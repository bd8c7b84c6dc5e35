// @internal The questions upstreams ask one agent session (sampling, elicitation, roots): each
// gets an id of the session's own, remembered with the upstream session that asked it until the
// agent answers, the asker withdraws it, or the session ends. A proxy session has one upstream
// session behind it, a gateway session one per server: the relay knows which one to answer.
import type {
  ClientCapabilities,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';

import { rpcError } from '../endpoint/rpcShape.js';
import type { Deliver } from '../endpoint/serveSessions.js';
import type { UpstreamSession } from './upstream/upstreamSession.js';

/** Which client capability a request from the upstream needs the agent to have declared. */
const NEEDS: Readonly<Record<string, keyof ClientCapabilities>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** A question from an upstream, waiting for the agent's answer. */
interface Relay {
  readonly upstreamId: RequestId;
  readonly upstream: UpstreamSession;
  readonly method: string;
  readonly toolCall: string | undefined;
}

/** Note in the log that an upstream asked the agent, and that it answered. */
export type NoteQuestion = (
  type: 'agent.asked' | 'agent.answered',
  data: { method: string; relay: string; toolCall?: string; error?: string },
) => void;

/** The open questions of one agent session. */
export class AgentQuestions {
  readonly #relays = new Map<string, Relay>();
  #nextRelay = 1;

  constructor(
    private readonly capabilities: ClientCapabilities,
    private readonly note: NoteQuestion,
  ) {}

  /**
   * A message from an upstream session for the agent: `deliver` puts it where it belongs. A
   * request gets an id of the session's own, remembered until the agent answers it; `ping` is
   * answered here, and a question the agent declared no capability for is refused upstream.
   */
  fromUpstream(
    message: JSONRPCNotification | JSONRPCRequest,
    upstream: UpstreamSession,
    deliver: Deliver,
    toolCall?: string,
  ): void {
    if (!('id' in message)) {
      deliver(this.#cancelledRelay(message, upstream) ?? message);
      return;
    }
    const reply = (answer: JSONRPCMessage): void =>
      void upstream.reply(answer).catch(() => undefined);
    if (message.method === 'ping') {
      reply({ jsonrpc: '2.0', id: message.id, result: {} });
      return;
    }
    const needs = NEEDS[message.method];
    if (needs !== undefined && this.capabilities[needs] === undefined) {
      // The upstream learned the agent's capabilities unwidened; one that asks anyway is told no.
      reply(
        rpcError(
          message.id,
          -32601,
          `the agent did not declare the ${needs} capability: ${message.method} cannot reach it`,
        ),
      );
      return;
    }
    const id = `toolflight-relay-${this.#nextRelay++}`;
    this.#relays.set(id, { upstreamId: message.id, upstream, method: message.method, toolCall });
    this.#note('agent.asked', id, message.method, toolCall);
    deliver({ ...message, id });
  }

  /**
   * The agent answered something: when it is the answer to an upstream's question, send it
   * back under the upstream's id and return true.
   */
  answered(message: JSONRPCMessage): boolean {
    if ('method' in message || typeof message.id !== 'string') return false;
    const relay = this.#relays.get(message.id);
    if (relay === undefined) return false;
    this.#relays.delete(message.id);
    const error = 'error' in message ? message.error.message : undefined;
    this.#note('agent.answered', message.id, relay.method, relay.toolCall, error);
    void relay.upstream.reply({ ...message, id: relay.upstreamId }).catch(() => undefined);
    return true;
  }

  /**
   * Withdraw the questions `upstream` asked (or every question, without one), answering each
   * asker with an error that says why: the session ended, or that server's session did.
   */
  withdraw(reason: string, upstream?: UpstreamSession): void {
    for (const [id, relay] of this.#relays) {
      if (upstream !== undefined && relay.upstream !== upstream) continue;
      this.#relays.delete(id);
      this.#note('agent.answered', id, relay.method, relay.toolCall, reason);
      void relay.upstream.reply(rpcError(relay.upstreamId, -32000, reason)).catch(() => undefined);
    }
  }

  /**
   * The upstream's `notifications/cancelled` for a question it asked: the agent knows that
   * question under the session's id, and owes no answer any more. Undefined for anything else.
   */
  #cancelledRelay(
    message: JSONRPCNotification,
    upstream: UpstreamSession,
  ): JSONRPCNotification | undefined {
    if (message.method !== 'notifications/cancelled') return undefined;
    const upstreamId = (message.params as { requestId?: unknown } | undefined)?.requestId;
    for (const [id, relay] of this.#relays) {
      if (relay.upstream !== upstream || relay.upstreamId !== upstreamId) continue;
      this.#relays.delete(id);
      this.#note('agent.answered', id, relay.method, relay.toolCall, 'cancelled by the upstream');
      return { ...message, params: { ...message.params, requestId: id } };
    }
    return undefined;
  }

  #note(
    type: 'agent.asked' | 'agent.answered',
    relay: string,
    method: string,
    toolCall: string | undefined,
    error?: string,
  ): void {
    this.note(type, {
      method,
      relay,
      ...(toolCall === undefined ? {} : { toolCall }),
      ...(error === undefined ? {} : { error }),
    });
  }
}

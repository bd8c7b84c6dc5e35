// @internal One agent's session on the proxy: its `Mcp-Session-Id`, its own upstream session
// (or child process), its GET stream with replay, and the questions the upstream asked it. Every
// message the upstream sends on this session's upstream session goes to this agent only.
import type {
  ClientCapabilities,
  InitializeRequestParams,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import type { Logger } from '../../logger.js';
import { IdleClock } from '../endpoint/idleClock.js';
import type { RegisteredSession } from '../endpoint/sessionRegistry.js';
import { SessionStream } from '../endpoint/sessionStream.js';
import { LIST_CHANGED } from '../endpoint/sseStreams.js';
import { rpcError } from '../endpoint/rpcShape.js';
import { SessionTools } from './sessionTools.js';
import type { ToolCatalog } from './toolCatalog.js';
import type { SessionLink } from './upstream/upstreamLink.js';
import type { UpstreamSession } from './upstream/upstreamSession.js';

/** Which client capability a request from the upstream needs the agent to have declared. */
const NEEDS: Readonly<Record<string, keyof ClientCapabilities>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** A question from the upstream, waiting for the agent's answer. */
interface Relay {
  readonly upstreamId: RequestId;
  readonly upstream: UpstreamSession;
  readonly method: string;
  readonly toolCall: string | undefined;
}

/** Where a message for the agent goes: a POST's reply stream, else the session's GET stream. */
export type Deliver = (message: JSONRPCMessage) => void;

/** What a session needs from its proxy. */
export interface SessionDeps {
  readonly catalog: ToolCatalog<unknown>;
  readonly scheduler: SchedulerLike;
  readonly idleMs: number;
  readonly logger: Logger | undefined;
  /**
   * The session's own link to the upstream, introducing itself with the agent's hello (or its
   * share of the proxy's, for a shared stdio child).
   */
  readonly link: (hello: InitializeRequestParams, session: AgentSession) => SessionLink;
  /** The session ended (DELETE, idle, the proxy closing): forget it. */
  readonly ended: () => void;
  /** Note in the log that the upstream asked the agent, and that it answered. */
  readonly note: (
    type: 'agent.asked' | 'agent.answered',
    data: { method: string; relay: string; toolCall?: string; error?: string },
    capture: string,
  ) => void;
}

/** One agent session. */
export class AgentSession implements RegisteredSession {
  /** The SDK transport that answers `initialize`, and the GET stream with its replays. */
  readonly stream: SessionStream;
  readonly link: SessionLink;
  readonly capabilities: ClientCapabilities;
  /** The tools this session's own upstream session listed, and what the agent sees of them. */
  readonly tools: SessionTools;
  readonly #relays = new Map<string, Relay>();
  #nextRelay = 1;
  readonly #idle: IdleClock;
  #ended = false;

  constructor(
    readonly id: string,
    readonly capture: string,
    hello: InitializeRequestParams,
    private readonly deps: SessionDeps,
  ) {
    this.capabilities = hello.capabilities;
    this.stream = new SessionStream(id, deps.logger, {
      jsonResponse: true,
      onclose: () => void this.end(),
    });
    this.link = deps.link(hello, this);
    // list_changed goes to exactly the sessions whose visible names changed.
    this.tools = new SessionTools(deps.catalog, capture, this.link, () =>
      this.toStream(LIST_CHANGED),
    );
    this.#idle = new IdleClock(deps.scheduler, deps.idleMs, () => void this.end());
  }

  /** Who the session belongs to: the capture of the credential that opened it. */
  get claim(): string {
    return this.capture;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The agent did something: the idle timeout starts over. */
  touch(): void {
    this.#idle.touch();
  }

  /** Not idle while the result is held (its GET stream, a POST being answered). */
  hold(): () => void {
    return this.#idle.hold();
  }

  /** Send on the session's GET stream (kept for replay while none is open). */
  toStream(message: JSONRPCMessage): void {
    if (!this.#ended) this.stream.send(message);
  }

  /**
   * A message from this session's upstream session for the agent: `deliver` puts it on the
   * reply stream of the agent request it belongs to (default: the GET stream). A request gets
   * an id of the proxy's own, remembered until the agent answers it.
   */
  fromUpstream(
    message: JSONRPCNotification | JSONRPCRequest,
    upstream: UpstreamSession,
    deliver: Deliver = (m) => this.toStream(m),
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
   * The upstream's `notifications/cancelled` for a question it asked: the agent knows that
   * question under the proxy's id, and owes no answer any more. Undefined for anything else.
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

  /**
   * The agent answered something: when it is the answer to a question of the upstream, send it
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

  #note(
    type: 'agent.asked' | 'agent.answered',
    relay: string,
    method: string,
    toolCall: string | undefined,
    error?: string,
  ): void {
    const data = {
      method,
      relay,
      ...(toolCall === undefined ? {} : { toolCall }),
      ...(error === undefined ? {} : { error }),
    };
    this.deps.note(type, data, this.capture);
  }

  /**
   * End the session: its stream, its upstream session, its unanswered questions. Idempotent.
   * `cancelCalls` when the agent ended it: its calls in flight are cancelled, not unreachable.
   */
  end(reason = 'the agent session ended', { cancelCalls = false } = {}): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    this.#idle.stop();
    this.tools.close();
    for (const [id, relay] of this.#relays) {
      this.#note('agent.answered', id, relay.method, relay.toolCall, reason);
      void relay.upstream.reply(rpcError(relay.upstreamId, -32000, reason)).catch(() => undefined);
    }
    this.#relays.clear();
    this.deps.ended();
    return Promise.all([
      this.stream.close(),
      (cancelCalls ? this.link.cancel(reason) : this.link.close(reason)).catch(() => undefined),
    ]).then(() => undefined);
  }
}

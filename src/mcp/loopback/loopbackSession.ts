// @internal One agent's session on the loopback server: its `Mcp-Session-Id`, its own SDK server
// (which knows the agent's capabilities and log level, and waits for its answers), its GET
// stream with replay, its resource subscriptions, and its idle timeout.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type {
  JSONRPCMessage,
  LoggingLevel,
  MessageExtraInfo,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import type { Logger } from '../../logger.js';
import { IdleClock } from '../endpoint/idleClock.js';
import { PostReply } from '../endpoint/postReply.js';
import type { RegisteredSession } from '../endpoint/sessionRegistry.js';
import { SessionStream } from '../endpoint/sessionStream.js';
import { AgentAsks, type AskNote } from './agentAsks.js';
import type { LoopbackRole } from './LoopbackServer.js';
import type { AbortKind } from './pendingCalls.js';
import { PostChannel } from './postChannel.js';
import { claimOf, type RequestScope } from './requestScope.js';

/** What a session needs from its server. */
export interface LoopbackSessionDeps {
  readonly scheduler: SchedulerLike;
  readonly idleMs: number;
  readonly logger: Logger | undefined;
  readonly jsonResponse: boolean;
  /** The SDK server of a session, connected to `channel`. */
  readonly serve: (channel: PostChannel<RequestScope>, session: LoopbackSession) => Server;
  /** Note a question to the agent, or its answer, under `capture`. */
  readonly note: (capture: string) => AskNote;
}

/** One agent session. */
export class LoopbackSession implements RegisteredSession {
  readonly claim: string;
  readonly stream: SessionStream;
  readonly channel: PostChannel<RequestScope>;
  readonly server: Server;
  /** Resource URIs the agent subscribed to. */
  readonly subscriptions = new Set<string>();
  /** The least severe level the agent wants to hear (`logging/setLevel`); all when unset. */
  logLevel: LoggingLevel | undefined;
  readonly #asks: AgentAsks;
  readonly #idle: IdleClock;
  /** The requests of this session being answered now. */
  readonly #open = new Set<RequestScope>();
  #ended = false;

  constructor(
    readonly id: string,
    readonly role: LoopbackRole,
    readonly capture: string,
    private readonly deps: LoopbackSessionDeps,
    private readonly forget: (reason: string) => void,
  ) {
    this.claim = claimOf(role, capture);
    this.stream = new SessionStream(id, deps.logger, {
      jsonResponse: deps.jsonResponse,
      onclose: () => void this.end('the agent ended the session', 'cancelled'),
    });
    this.#asks = new AgentAsks(deps.note(capture));
    this.channel = new PostChannel((message) => this.stream.send(message), this.#asks, id);
    this.server = deps.serve(this.channel, this);
    this.#idle = new IdleClock(deps.scheduler, deps.idleMs, () => {
      void this.end(`the session was idle for ${deps.idleMs} ms`, 'unknown');
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  get asks(): AgentAsks {
    return this.#asks;
  }

  /** The agent did something: the idle timeout starts over. */
  touch(): void {
    this.#idle.touch();
  }

  /** Not idle while the result is held (a GET stream, a POST being answered). */
  hold(): () => void {
    return this.#idle.hold();
  }

  /**
   * Answer the `initialize` that opened the session through its SDK transport (which learns
   * the session id from it, and from then on serves the GET stream and DELETE).
   */
  async initialize(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    scope: RequestScope,
  ): Promise<void> {
    const { transport } = this.stream;
    transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      const route = {
        scope,
        answer: (answer: JSONRPCMessage) =>
          void transport.send(answer).catch((error: unknown) => {
            this.deps.logger?.warn(`could not answer initialize: ${String(error)}`);
          }),
        related: () => undefined,
      };
      this.channel.deliver(message, route, extra);
    };
    transport.onerror = (error) => this.deps.logger?.warn(`session transport: ${error.message}`);
    await transport.start();
    await transport.handleRequest(req, res, body);
    // Only the opening initialize comes this way; the request's scope need not outlive it.
    transport.onmessage = undefined;
    // A refused initialize (a bad protocol version header, say) opened nothing the agent knows.
    if (res.statusCode >= 400) await this.end('initialize was refused', 'unknown');
  }

  /** Answer the messages of one POST of this session on its reply. */
  async post(
    messages: readonly JSONRPCMessage[],
    scope: RequestScope,
    res: ServerResponse,
    extra: MessageExtraInfo,
  ): Promise<void> {
    const reply = new PostReply(res, { 'mcp-session-id': this.id }, !this.deps.jsonResponse);
    const release = this.hold();
    this.#open.add(scope);
    try {
      await this.channel.post(messages, scope, reply, extra);
    } finally {
      this.#open.delete(scope);
      release();
    }
  }

  /** Send on the session's GET stream (kept for replay while none is open). */
  toStream(message: JSONRPCMessage): void {
    if (!this.#ended) this.stream.send(message);
  }

  /**
   * End the session: its calls get `kind` (cancelled when the agent ended it), its requests an
   * error answer, its questions and streams end. Idempotent.
   */
  end(reason: string, kind: AbortKind = 'unknown'): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    this.#idle.stop();
    for (const scope of this.#open) scope.abortAll(kind, `${reason} before the call finished`);
    this.#asks.closed(reason);
    this.forget(reason);
    return Promise.all([
      this.channel.close(reason),
      this.server.close().catch(() => undefined),
      this.stream.close(),
    ]).then(() => undefined);
  }
}

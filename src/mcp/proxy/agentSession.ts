// @internal One agent's session on the proxy: its `Mcp-Session-Id`, its own upstream session
// (or child process), its GET stream with replay, and the questions the upstream asked it. Every
// message the upstream sends on this session's upstream session goes to this agent only.
import type {
  ClientCapabilities,
  InitializeRequestParams,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import type { Logger } from '../../logger.js';
import { IdleClock } from '../endpoint/idleClock.js';
import type { RegisteredSession } from '../endpoint/sessionRegistry.js';
import { SessionStream } from '../endpoint/sessionStream.js';
import { LIST_CHANGED } from '../endpoint/sseStreams.js';
import { AgentQuestions } from './agentQuestions.js';
import type { Deliver } from '../endpoint/serveSessions.js';
import { SessionTools } from './sessionTools.js';
import type { ToolCatalog } from './toolCatalog.js';
import type { SessionLink } from './upstream/upstreamLink.js';
import type { UpstreamSession } from './upstream/upstreamSession.js';

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
  readonly ended: (reason: string) => void;
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
  readonly #questions: AgentQuestions;
  readonly #idle: IdleClock;
  #ended = false;

  constructor(
    readonly id: string,
    readonly capture: string,
    hello: InitializeRequestParams,
    private readonly deps: SessionDeps,
  ) {
    this.capabilities = hello.capabilities;
    this.#questions = new AgentQuestions(hello.capabilities, (type, data) =>
      deps.note(type, data, capture),
    );
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
    this.#questions.fromUpstream(message, upstream, deliver, toolCall);
  }

  /**
   * The agent answered something: when it is the answer to a question of the upstream, send it
   * back under the upstream's id and return true.
   */
  answered(message: JSONRPCMessage): boolean {
    return this.#questions.answered(message);
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
    this.#questions.withdraw(reason);
    this.deps.ended(reason);
    return Promise.all([
      this.stream.close(),
      (cancelCalls ? this.link.cancel(reason) : this.link.close(reason)).catch(() => undefined),
    ]).then(() => undefined);
  }
}

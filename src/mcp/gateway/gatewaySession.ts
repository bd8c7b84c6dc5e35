// @internal One agent's session on the gateway: its `Mcp-Session-Id`, its GET stream with
// replay, and one part per server it used: that server's own upstream session (or child) for
// this agent, opened on first use and introduced with the agent's own hello. What a server sends
// on its part goes to this agent only; a server's child that exits ends that part, not the session.
import type {
  ClientCapabilities,
  InitializeRequestParams,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike, Subscription } from 'rxjs';

import type { Logger } from '../../logger.js';
import type { SpanParent } from '../endpoint/rpcFacts.js';
import { IdleClock } from '../endpoint/idleClock.js';
import type { Deliver, ServedSession } from '../endpoint/serveSessions.js';
import { SessionStream } from '../endpoint/sessionStream.js';
import { LIST_CHANGED } from '../endpoint/sseStreams.js';
import { AgentQuestions, type NoteQuestion } from '../proxy/agentQuestions.js';
import { SessionTools } from '../proxy/sessionTools.js';
import type { ToolCatalog } from '../proxy/toolCatalog.js';
import type { UpstreamSession } from '../proxy/upstream/upstreamSession.js';
import { GatewayLists, withinMs } from './gatewayLists.js';
import type { ServerPart } from './ServerPart.js';
import { GatewayTools, type ToolsDeps } from './gatewayTools.js';

/** An agent's request being routed, and the cancel that came for it meanwhile. */
interface Arrival {
  reason?: string;
  readonly cancel: (reason: string) => void;
}

/** What a session needs from its gateway. */
export interface GatewaySessionDeps extends ToolsDeps {
  readonly idleMs: number;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger | undefined;
  /** The session ended (DELETE, idle, the gateway closing): forget it. */
  readonly ended: (reason: string) => void;
  readonly note: (
    type: Parameters<NoteQuestion>[0],
    data: Parameters<NoteQuestion>[1],
    capture: string,
  ) => void;
}

/** One agent session of a gateway. */
export class GatewaySession implements ServedSession {
  readonly stream: SessionStream;
  readonly capabilities: ClientCapabilities;
  readonly tools: GatewayTools;
  readonly lists: GatewayLists;
  readonly #parts = new Map<string, ServerPart>();
  /** The agent's requests a server works on now, by the agent's id: its cancels go there. */
  readonly #working = new Map<RequestId, ServerPart>();
  /** The agent's requests still being routed, and a cancel that came for one meanwhile. */
  readonly #arrived = new Map<RequestId, Arrival>();
  #nextLevel = 1;
  readonly #questions: AgentQuestions;
  readonly #idle: IdleClock;
  readonly #watch: Subscription;
  #ended = false;

  constructor(
    readonly id: string,
    readonly capture: string,
    readonly hello: InitializeRequestParams,
    private readonly deps: GatewaySessionDeps,
  ) {
    this.capabilities = hello.capabilities;
    this.#questions = new AgentQuestions(hello.capabilities, (type, data) =>
      deps.note(type, data, capture),
    );
    this.stream = new SessionStream(id, deps.logger, {
      jsonResponse: true,
      onclose: () => void this.end('the agent session ended'),
    });
    this.tools = new GatewayTools(
      deps,
      {
        capture,
        partOf: (server) => this.#parts.get(server),
        part: (server) => this.part(server),
      },
      () => this.toStream(LIST_CHANGED),
    );
    this.lists = new GatewayLists({ ...deps, part: (server) => this.part(server) });
    // A context changed, or a server's last good list did (what a part without a list of its
    // own goes by): the names this agent sees may have changed.
    this.#watch = deps.contexts.changed$.subscribe(() => this.tools.compare());
    for (const server of deps.servers) {
      this.#watch.add(server.unit.catalog.changed$.subscribe(() => this.tools.compare()));
    }
    this.#idle = new IdleClock(deps.scheduler, deps.idleMs, () => void this.end('idle'));
  }

  /** Who the session belongs to: the capture of the credential that opened it. */
  get claim(): string {
    return this.capture;
  }

  get ended(): boolean {
    return this.#ended;
  }

  touch(): void {
    this.#idle.touch();
  }

  hold(): () => void {
    return this.#idle.hold();
  }

  toStream(message: JSONRPCMessage): void {
    if (!this.#ended) this.stream.send(message);
  }

  /**
   * The agent's request `id` arrived and is being routed (its server is not known yet, a list
   * may be under way): a cancel for it until then is kept, and `cancelled()` says it came.
   */
  arrive(id: RequestId): {
    readonly cancelled: () => string | undefined;
    /** Settles with the reason once a cancel comes (never, if none does). */
    readonly whenCancelled: Promise<string>;
    readonly done: () => void;
  } {
    let settle: (reason: string) => void = () => undefined;
    const whenCancelled = new Promise<string>((resolve) => (settle = resolve));
    const arrival: Arrival = { cancel: (reason) => settle(reason) };
    this.#arrived.set(id, arrival);
    return {
      cancelled: () => arrival.reason,
      whenCancelled,
      done: () => {
        if (this.#arrived.get(id) === arrival) this.#arrived.delete(id);
      },
    };
  }

  /**
   * Cancel the agent's request `id`: at the server working on it (true), or, while it is still
   * being routed, before it reaches any (true); false when it is neither (answered already).
   */
  cancel(id: RequestId, reason: string, forward: (part: ServerPart) => void): boolean {
    const part = this.#working.get(id);
    if (part !== undefined) {
      forward(part);
      return true;
    }
    const arrival = this.#arrived.get(id);
    if (arrival === undefined) return false;
    if (arrival.reason === undefined) {
      arrival.reason = reason;
      arrival.cancel(reason);
    }
    return true;
  }

  /** `part` works on the agent's request `id` until the returned function is called. */
  track(id: RequestId, part: ServerPart): () => void {
    this.#working.set(id, part);
    return () => {
      if (this.#working.get(id) === part) this.#working.delete(id);
    };
  }

  /** The part working on the agent's request `id`, if any. */
  working(id: RequestId): ServerPart | undefined {
    return this.#working.get(id);
  }

  /** The level the agent asked with `logging/setLevel`, for every server it uses. */
  logLevel: string | undefined;

  /**
   * Send the session's log level to `part`'s server if that server logs: once it is up, within
   * the list wait (a server that hangs holds nobody up). Resolves in every case. `span`: the
   * agent's `logging/setLevel` (none for a part opened later: it is the session's, by capture).
   */
  async applyLogLevel(part: ServerPart, span?: SpanParent): Promise<void> {
    const level = this.logLevel;
    if (level === undefined) return;
    const { scheduler, listWaitMs } = this.deps;
    const sent = part.link.ensure(span).then(async () => {
      if (part.link.initialized?.capabilities.logging === undefined) return;
      await part.link.forward(
        {
          jsonrpc: '2.0',
          id: `toolflight-log-level-${this.#nextLevel++}`,
          method: 'logging/setLevel',
          params: { level },
        },
        { span },
      );
    });
    await withinMs(scheduler, listWaitMs, sent);
  }

  /** The parts opened so far. */
  parts(): readonly ServerPart[] {
    return [...this.#parts.values()];
  }

  /** The session's part of `server` if it has one. */
  partOf(server: string): ServerPart | undefined {
    return this.#parts.get(server);
  }

  /** The session's part of `server`, opened on first use (the server starts if it must). */
  part(name: string): ServerPart {
    const open = this.#parts.get(name);
    if (open !== undefined) return open;
    // An ended session opens nothing upstream any more (a request that was under way).
    if (this.#ended) throw new Error('the agent session ended');
    const server = this.deps.servers.find((s) => s.name === name);
    if (server === undefined) throw new Error(`no server named ${name}`);
    server.use();
    const holder: { part?: ServerPart } = {};
    const link = server.unit.sessionLink(this.hello, {
      id: this.id,
      capture: this.capture,
      exited: (reason, upstream) => {
        // Only this server's part ends: the agent's next use of it starts a new child.
        this.deps.logger?.warn(
          `server ${name}: an agent session's process exited, so its part of the session ended: ${reason}`,
        );
        if (holder.part !== undefined) void this.#endPart(holder.part, reason, upstream);
      },
      fromUpstream: (message, upstream) => {
        if (holder.part !== undefined) this.#fromServer(holder.part, message, upstream);
      },
    });
    const tools = new SessionTools(
      server.unit.catalog as unknown as ToolCatalog<unknown>,
      this.capture,
      link,
      () => this.tools.compare(),
    );
    const part = { server, link, tools };
    holder.part = part;
    this.#parts.set(name, part);
    // A server opened after the agent set its log level gets it too.
    void this.applyLogLevel(part);
    return part;
  }

  /**
   * A message a server sent about one of the agent's requests: a question gets an id of the
   * session's own; `deliver` puts it on that request's reply stream.
   */
  relay(
    message: JSONRPCNotification | JSONRPCRequest,
    upstream: UpstreamSession,
    deliver: Deliver,
    toolCall?: string,
  ): void {
    this.#questions.fromUpstream(message, upstream, deliver, toolCall);
  }

  /** The agent answered a server's question: back to it under its own id. */
  answered(message: JSONRPCMessage): boolean {
    return this.#questions.answered(message);
  }

  end(reason: string, { cancelCalls = false } = {}): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    this.#idle.stop();
    this.#watch.unsubscribe();
    this.tools.close();
    this.#questions.withdraw(reason);
    this.deps.ended(reason);
    const parts = [...this.#parts.values()];
    this.#parts.clear();
    return Promise.all([
      this.stream.close(),
      ...parts.map((part) => {
        part.tools.close();
        return (cancelCalls ? part.link.cancel(reason) : part.link.close(reason)).catch(
          () => undefined,
        );
      }),
    ]).then(() => undefined);
  }

  /** What a server sends unasked: list changes are acted on, the rest reaches the agent. */
  #fromServer(
    part: ServerPart,
    message: JSONRPCNotification | JSONRPCRequest,
    upstream: UpstreamSession,
  ): void {
    if (message.method === 'notifications/tools/list_changed') {
      part.tools.relist();
      return;
    }
    this.#questions.fromUpstream(message, upstream, (m) => this.toStream(m));
  }

  /** A server's part ended under the session (its child exited): forget it, withdraw its asks. */
  async #endPart(part: ServerPart, reason: string, upstream: UpstreamSession): Promise<void> {
    if (this.#parts.get(part.server.name) !== part) return;
    this.#parts.delete(part.server.name);
    part.tools.close();
    // The child is gone with its session: what it asked the agent has nobody to answer.
    this.#questions.withdraw(reason, upstream);
    await part.link.close(reason).catch(() => undefined);
    this.tools.compare();
  }
}

// @internal The proxy's side of the upstream: connect lazily (initialize first), renew a refused
// credential, notice when it goes away, and come back with bounded, jittered backoff on the
// injected scheduler (a stdio child that keeps dying before it answers counts as going away).
// A refused credential without a `refreshToken` is not retried on a timer: the next request is.
import {
  InitializeResultSchema,
  LATEST_PROTOCOL_VERSION,
  type InitializeRequestParams,
  type InitializeResult,
  type JSONRPCNotification,
  type JSONRPCRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import { describeExit, describeFailedStarts, type ChildTransport } from './childTransport.js';
import { credentialRefused, CredentialRenewal } from './credentialRenewal.js';
import { withinDeadline } from './deadline.js';
import { describeRefusal, HttpTransportError } from './httpTransportError.js';
import { redact } from './redact.js';
import { RetrySchedule } from './retrySchedule.js';

import { createUpstreamTransport, isHttpUpstream, upstreamName } from './upstreamTransport.js';
import {
  describeFailure,
  UpstreamSession,
  type AgentRoute,
  type Forwarded,
} from './upstreamSession.js';
import type { Logger } from '../../../logger.js';
import type { ProxyBackoff, ProxyUpstream, UpstreamNotice, UpstreamState } from './Upstream.js';
import type { ClientSpans } from './clientSpans.js';
import type { SpanParent } from '../../endpoint/rpcFacts.js';
import type { UpstreamDeadlines } from './upstreamDeadlines.js';
import { messageOf } from '../../../errors.js';

/** What the link needs from the proxy around it. */
export interface LinkDeps {
  readonly upstream: ProxyUpstream;
  /** The upstream's name in notices, over `upstream.name` (a gateway's server name). */
  readonly name?: string;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly backoff: ProxyBackoff | undefined;
  /** Every request the link sends, and every connection attempt, ends by these. */
  readonly deadlines: UpstreamDeadlines;
  readonly notice: (notice: UpstreamNotice) => void;
  readonly logger: Logger | undefined;
  /** A session came up (the first, or a new one after an outage or a lost session). */
  readonly onUp: () => void;
  /** Server-to-client messages that are not answers (list_changed, logging, requests). */
  readonly onServerMessage: (
    message: JSONRPCNotification | JSONRPCRequest,
    session: UpstreamSession,
  ) => void;
  /**
   * The `initialize` params this link introduces itself with: an agent session's link sends
   * the agent's own `clientInfo` and capabilities (never widened). Default: the proxy's own,
   * with no capabilities.
   */
  readonly hello?: InitializeRequestParams;
  /**
   * The link whose health this one shares (the proxy's own): an agent session's link fails fast
   * while that one waits out a backoff, reports its failures there instead of backing off on its
   * own, and so a thousand sessions make one retry schedule and one set of notices, not a
   * thousand.
   */
  readonly health?: UpstreamLink;
  /** Share the credential renewal of another link (requests refused together renew once). */
  readonly renewal?: CredentialRenewal;
  /**
   * An agent session's own child exited after its handshake (`reason`: the exit code and stderr
   * tail, redacted): that agent session ends with it, and no other, nor the proxy's health.
   */
  readonly onExited?: (reason: string, session: UpstreamSession) => void;
  /** Where the client span of every request it sends goes. */
  readonly spans?: ClientSpans;
  /**
   * The capture of the agent session this link is for: a request it sends for no agent request
   * in particular (its handshake after a retry, a relist on `list_changed`) is still noted as
   * that capture's. None for the proxy's own link, which is nobody's.
   */
  readonly capture?: string;
}

/**
 * What an agent session uses of its link upstream: its own `UpstreamLink`, or with a shared
 * stdio child (`upstream.shared`) a `SharedLink` over the proxy's.
 */
export type SessionLink = Pick<
  UpstreamLink,
  'forward' | 'notify' | 'ensure' | 'cancel' | 'close' | 'initialized' | 'session'
>;

/** The proxy's name and version, as a client upstream and as a server to agents. */
export const PROXY_INFO = { name: 'toolflight-proxy', version: '0.1.0' };

/** How the proxy introduces itself when no agent is behind the session (catalog, outbox). */
export const PROXY_HELLO: InitializeRequestParams = {
  protocolVersion: LATEST_PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: PROXY_INFO,
};

/**
 * What a handshake's client span is for: the agent request (and capture) that caused it, never
 * the tool call or outbox entry that request was for (the handshake is neither).
 */
function handshakeParent(span: SpanParent | undefined): SpanParent | undefined {
  if (span === undefined) return undefined;
  const { capture, request, trace } = span;
  if (capture === undefined && request === undefined && trace === undefined) return undefined;
  return {
    ...(capture !== undefined && { capture }),
    ...(request !== undefined && { request }),
    ...(trace !== undefined && { trace }),
  };
}

/** The connection to the upstream, across sessions and child processes. */
export class UpstreamLink {
  readonly server: string;
  #state: UpstreamState = 'connecting';
  #session: UpstreamSession | undefined;
  #connecting: Promise<UpstreamSession> | undefined;
  #initialized: InitializeResult | undefined;
  /** Whether the current session answered a request the link forwarded (not its initialize). */
  #answered = false;
  #closed = false;
  /** Why the agent's requests are cancelled, once it ended its session (see `cancel`). */
  #cancelled: string | undefined;
  /** Ends the connection attempt under way at once (the proxy closes). */
  #stopConnecting: ((reason: Error) => void) | undefined;
  readonly #retry: RetrySchedule;
  readonly #renewal: CredentialRenewal;

  constructor(private readonly deps: LinkDeps) {
    this.server = deps.name ?? upstreamName(deps.upstream);
    const { upstream } = deps;
    this.#retry = new RetrySchedule(deps.scheduler, deps.random, deps.backoff);
    this.#renewal =
      deps.renewal ??
      new CredentialRenewal(
        isHttpUpstream(upstream) ? upstream.refreshToken?.bind(upstream) : undefined,
        // The host's refreshToken error may quote a credential.
        (message) => deps.logger?.warn(`upstream ${this.server}: ${redact(message)}`),
      );
  }

  /** The credential renewal this link sends under (share it with the links of sessions). */
  get renewal(): CredentialRenewal {
    return this.#renewal;
  }

  /** The live upstream session, if connected. */
  get session(): UpstreamSession | undefined {
    return this.#session;
  }

  get state(): UpstreamState {
    return (this.deps.health ?? this).#state;
  }

  /** The upstream's last `initialize` result, if it ever answered one. */
  get initialized(): InitializeResult | undefined {
    return this.#initialized;
  }

  /**
   * Forward a request; connects first when needed. A refused credential is renewed once and a
   * 404'd session replaced once, each time sending the request again (it was not processed).
   */
  async forward(request: JSONRPCRequest, given: AgentRoute = {}): Promise<Forwarded> {
    const route = this.#owned(given);
    for (let round = 0; ; round++) {
      let session: UpstreamSession;
      try {
        if (this.#cancelled !== undefined) throw new Error(this.#cancelled);
        // The live session without a turn of the microtask queue: this is every call's path.
        session = this.#session ?? (await this.ensure(route.span));
      } catch (error) {
        // Never sent, and never to be: the agent ended the session it came in.
        if (this.#cancelled !== undefined) {
          return { kind: 'cancelled', reason: this.#cancelled, gone: false };
        }
        return { kind: 'unreachable', reason: (error as Error).message, unknown: false };
      }
      const renewals = this.#renewal.finished;
      let outcome = await session.forward(request, route);
      if (credentialRefused(outcome)) {
        outcome = await this.#renewal.resend(outcome, renewals, () =>
          // The agent may have ended its session while the credential was renewed: not sent.
          this.#cancelled === undefined
            ? session.forward(request, route)
            : Promise.resolve<Forwarded>({
                kind: 'cancelled',
                reason: this.#cancelled,
                gone: false,
              }),
        );
      }
      if (outcome.kind === 'answer' && this.#session === session) {
        this.#answered = true;
        (this.deps.health ?? this).#retry.succeeded();
      }
      if (outcome.kind !== 'session_gone') return outcome;
      // The upstream did not process it: safe to send again, once, on a new session.
      this.#drop(session, 'the upstream no longer knows the session (HTTP 404)');
      if (round > 0) {
        return {
          kind: 'unreachable',
          reason: 'the upstream lost the session twice',
          unknown: false,
        };
      }
    }
  }

  /** Send a notification to the current session, if there is one (`gone`: see `Forwarded`). */
  async notify(message: JSONRPCNotification, scope?: string, gone?: boolean): Promise<void> {
    // A session still connecting gets it once it is up (an agent's cancel sent meanwhile would
    // otherwise be lost, and the upstream would run the call it cancelled).
    const session =
      this.#session ?? (await this.#connecting?.catch(() => undefined)) ?? this.#session;
    await session?.notify(message, scope, gone);
  }

  /**
   * The live session, connecting (and initializing) first; rejects while backing off. `span`:
   * the agent request that needs it, whose child the handshake is if this call starts one (a
   * connect under way is shared, and stays the child of the request that started it).
   */
  ensure(span?: SpanParent): Promise<UpstreamSession> {
    if (this.#closed) return Promise.reject(new Error('the proxy is closed'));
    if (this.#session) return Promise.resolve(this.#session);
    const health = this.deps.health ?? this;
    if (health.#retry.pending && health.#state === 'down')
      return Promise.reject(new Error(health.#waiting()));
    this.#connecting ??= this.#connect(handshakeParent(span ?? this.#owner)).finally(
      () => (this.#connecting = undefined),
    );
    return this.#connecting;
  }

  /** What a request sent for no agent request in particular is for: the link's capture. */
  get #owner(): SpanParent | undefined {
    const { capture } = this.deps;
    return capture === undefined ? undefined : { capture };
  }

  /** `route`, its span the link's capture when it names none. */
  #owned(route: AgentRoute): AgentRoute {
    if (route.span !== undefined) return route;
    const owner = this.#owner;
    return owner === undefined ? route : { ...route, span: owner };
  }

  /** Try now instead of at the scheduled time (the host rotated the token, for example). */
  retryNow(): void {
    this.#retry.cancel();
  }

  /** Whether this link is an agent session's (its health is another link's). */
  get #shared(): boolean {
    return this.deps.health !== undefined;
  }

  /**
   * The agent ended its session: what it sent and still waits settles `cancelled` (the upstream
   * is told to stop each; nothing of it is unreachable or to be queued), then the link closes.
   */
  async cancel(reason: string): Promise<void> {
    this.#cancelled ??= reason;
    await this.#session?.cancelAll(reason);
    await this.close(reason);
  }

  /**
   * Stop retrying, fail what is pending (with `reason`) and close the transport (a starting
   * child's too).
   */
  async close(reason = 'the proxy closed'): Promise<void> {
    this.#closed = true;
    this.#retry.cancel();
    this.#stopConnecting?.(new Error(reason));
    const session = this.#session;
    this.#session = undefined;
    session?.end(reason);
    this.#set('closed');
    await session?.transport.close().catch(() => undefined);
    // A stopped attempt closes its own transport: resolve once that child is gone too.
    await this.#connecting?.catch(() => undefined);
  }

  async #connect(span: SpanParent | undefined): Promise<UpstreamSession> {
    this.#set('connecting');
    const { upstream, scheduler, deadlines } = this.deps;
    const spans = this.deps.spans;
    const session = new UpstreamSession(
      createUpstreamTransport(upstream, scheduler),
      {
        scheduler,
        requestTimeoutMs: deadlines.requestTimeoutMs,
        maxRequestTotalMs: deadlines.maxRequestTotalMs,
      },
      spans && { spans, protocolVersion: () => this.#initialized?.protocolVersion },
    );
    const { transport } = session;
    session.onServerMessage = (message) => this.deps.onServerMessage(message, session);
    session.onLost = (reason) => this.#lost(session, reason);
    // Failures in a row when this session came up (see `ended_at_once`).
    let failuresAtUp = 0;
    transport.onerror = (error) => {
      if (!(error instanceof HttpTransportError)) return;
      // A dropped HTTP stream is how an upstream that went away shows itself between calls.
      if (error.kind === 'dropped') this.#lost(session, error.message);
      // A stream ended before it carried anything (or outlived a request) is a failed attempt,
      // retried on the backoff: reconnecting at once looped against an upstream that always
      // does it. What the session answered meanwhile (the catalog's tools/list) proves nothing.
      else if (error.kind === 'ended_at_once' && this.#session === session) {
        (this.deps.health ?? this).#retry.restore(failuresAtUp);
        this.#lost(session, error.message);
      }
      // The upstream ended a stream that served: start a new session now.
      else if (error.kind === 'ended' && this.#session === session) {
        this.#drop(session, 'the upstream ended the session');
        this.ensure().catch(() => undefined);
      }
    };
    const child = isHttpUpstream(this.deps.upstream) ? undefined : (transport as ChildTransport);
    let exited: string | undefined;
    if (child) {
      child.onstderr = (line) => this.#notice((this.deps.health ?? this).#state, { stderr: line });
      child.onexit = (exit) => this.#exited(session, (exited = describeExit(exit)));
    }
    // Set when the upstream refused the credential and nothing can renew it.
    let credentialStands = false;
    // Set when the upstream answered the hello: a failure then belongs to this session only.
    let judged = false;
    const { connectTimeoutMs } = deadlines;
    // The whole handshake, a child's start included, has one deadline: a child that never
    // answers must not hold the link `connecting` (and every agent's initialize) forever.
    const attempt = withinDeadline(
      scheduler,
      connectTimeoutMs,
      this.#handshake(
        session,
        span,
        () => (credentialStands = true),
        () => (judged = true),
      ),
      () =>
        new Error(
          child
            ? `the upstream process did not start and answer initialize within ${connectTimeoutMs} ms (connectTimeoutMs), so it was stopped`
            : `the upstream did not answer initialize within ${connectTimeoutMs} ms (connectTimeoutMs)`,
        ),
    );
    this.#stopConnecting = attempt.stop;
    try {
      const result = await attempt.settled;
      this.#stopConnecting = undefined;
      if (this.#closed) throw new Error('the proxy is closed');
      // A child that died right after its handshake was not this session yet when it exited.
      if (exited !== undefined) throw new Error(exited);
      failuresAtUp = (this.deps.health ?? this).#retry.failures;
      this.#initialized = result;
      this.#session = session;
      this.#answered = false;
      if (this.deps.health) this.deps.health.#sessionUp();
      else {
        this.#set('up');
        this.deps.onUp();
      }
      return session;
    } catch (error) {
      this.#stopConnecting = undefined;
      const reason = messageOf(error);
      session.end(reason);
      await transport.close().catch(() => undefined);
      const health = this.deps.health ?? this;
      // Stopped from here (the agent ended its session, the proxy is closing): a fact about this
      // link, not about the upstream, whose health every other session shares.
      if (this.#closed || this.#cancelled !== undefined) {
        throw new Error(`the connection was stopped (${reason})`, { cause: error });
      }
      // An agent's hello the upstream turned down (its clientInfo, its capabilities) fails that
      // agent's session, not every other agent's: the upstream itself is up.
      if (this.#shared && judged && !credentialStands) {
        throw new Error(`the upstream did not take this agent's session (${reason})`, {
          cause: error,
        });
      }
      if (credentialStands) health.#refused(reason);
      else health.#down(reason);
      throw new Error(`the upstream is unreachable (${reason})`, { cause: error });
    }
  }

  /**
   * Start the transport, `initialize` (renewing a refused credential once) and confirm with
   * `notifications/initialized`; `refusedForGood` is called before the throw for a credential
   * that nothing can renew. `span`: what the handshake's client span is a child of.
   */
  async #handshake(
    session: UpstreamSession,
    span: SpanParent | undefined,
    refusedForGood: () => void,
    answeredAtAll: () => void,
  ): Promise<InitializeResult> {
    const { transport } = session;
    await transport.start();
    // Untimed: the connect deadline bounds it, and an `initialize` must never be cancelled.
    const hello = {
      jsonrpc: '2.0' as const,
      id: 0,
      method: 'initialize',
      params: this.deps.hello ?? PROXY_HELLO,
    };
    const answer = await this.#renewal.send(() => session.forward(hello, { span }, false));
    // The upstream is there and judged this hello (an error, a refusal other than of the
    // credential, a malformed result): a verdict on this session, not on the upstream's health.
    if (answer.kind === 'answer' || (answer.kind === 'refused' && !credentialRefused(answer))) {
      answeredAtAll();
    }
    if (answer.kind !== 'answer' || !('result' in answer.message)) {
      if (credentialRefused(answer) && !this.#renewal.renews) {
        refusedForGood();
        throw new Error(
          `the upstream refused the proxy's credential: ${describeRefusal(answer.refusal)}; give the proxy a token it accepts (not retried until the next request)`,
        );
      }
      throw new Error(describeFailure('initialize', answer));
    }
    const parsed = InitializeResultSchema.safeParse(answer.message.result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `the upstream answered initialize with an invalid result${issue ? ` (${issue.path.join('.') || 'result'}: ${issue.message})` : ''}`,
      );
    }
    const result = parsed.data;
    transport.setProtocolVersion?.(result.protocolVersion);
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return result;
  }

  /** A session failed under a request or on its stream: back off, then reconnect. */
  #lost(session: UpstreamSession, reason: string): void {
    if (this.#session !== session) return;
    this.#drop(session, reason);
    (this.deps.health ?? this).#down(reason);
  }

  /**
   * An agent session's link came up: the upstream works, whatever this link thought, and a wait
   * ends (a refused credential the token source has fixed since, say). No `onUp`: the agent
   * lists through its own session, and a stdio upstream would start a child of the proxy's own.
   */
  /**
   * An agent session's link came up: the upstream is up. Its handshake stays that session's
   * own (it answered the agent's hello): the proxy's, what the outbox keeps, comes from the
   * proxy's own session only.
   */
  #sessionUp(): void {
    if (this.#state === 'up') return;
    this.#retry.cancel();
    this.#retry.succeeded();
    this.#set('up');
  }

  #exited(session: UpstreamSession, reason: string): void {
    // Before the check: a child that dies during `initialize` must fail that request too.
    session.end(reason);
    if (this.#session !== session) return;
    this.#drop(session, reason);
    if (this.#closed) return;
    // A child that served requests restarts on the next one. One that died before answering any
    // (the catalog's tools/list right after `up` counts) is a failed start, like one that died in
    // initialize: back off rather than spawn on every call. An answer, not time up, is the proof:
    // it holds on virtual time, and a child that served a call restarts however short its life.
    if (this.#shared) {
      // A session's own child that served: that session ends with it (what the upstream session
      // held went with the process; the agent re-initializes onto a new one), and nothing else
      // does. One that died before it answered anything is a failed start of the upstream, for
      // everyone to wait out: the session's next request after the wait starts another.
      if (this.#answered) this.deps.onExited?.(redact(reason), session);
      else this.deps.health!.#down(reason);
      return;
    }
    if (this.#answered) this.#set('exited', { reason });
    else this.#down(reason);
  }

  #drop(session: UpstreamSession, reason: string): void {
    if (this.#session === session) this.#session = undefined;
    session.end(reason);
    void session.transport.close().catch(() => undefined);
  }

  #down(reason: string): void {
    if (this.#closed || this.#retry.pending) return;
    const delay = this.#retry.fail(reason, () => {
      // An agent session's link may have reported the failure while this one's own session
      // still looked alive: only a fresh initialize proves the upstream is back.
      if (this.#session) this.#drop(this.#session, 'reconnecting after a failure');
      void this.ensure().catch(() => undefined);
    });
    this.#set('down', { reason, retryInMs: delay });
  }

  /**
   * The upstream refused a credential that nothing can renew: retrying it on a timer would only
   * be refused again, so the link waits down, with no timer, for the next request (or
   * `refreshTools`) to try once more: the token source may have changed by then.
   */
  #refused(reason: string): void {
    if (this.#closed) return;
    this.#retry.cancel();
    this.#set('down', { reason });
  }

  /** Why a request fails fast while the link waits for its next attempt. */
  #waiting(): string {
    const { failures, inMs, reason } = this.#retry;
    if (isHttpUpstream(this.deps.upstream)) return `the upstream is unreachable (${reason})`;
    return describeFailedStarts(failures, inMs, reason);
  }

  #set(state: UpstreamState, extra: { reason?: string; retryInMs?: number } = {}): void {
    // An agent session's link has no health of its own to report: the proxy's link has it.
    if (this.#shared) return;
    this.#state = state;
    this.#notice(state, extra);
  }

  #notice(
    state: UpstreamState,
    extra: { reason?: string; retryInMs?: number; stderr?: string },
  ): void {
    // What the transports report is redacted already; a reason is made of more (errors thrown
    // anywhere under a connect), and it goes into the log.
    const data =
      extra.reason === undefined
        ? { server: this.server, state, ...extra }
        : { server: this.server, state, ...extra, reason: redact(extra.reason) };
    this.deps.notice({ type: 'upstream.changed', data });
  }
}

// @internal Everything a proxy keeps per upstream, apart from its HTTP endpoint: its own link
// (the catalog's listing, the outbox's deliveries, the health every agent session's link shares),
// the catalog, the optional outbox, and the links of agent sessions. `createProxy` has one; a
// gateway has one per server.
import type { InitializeRequestParams } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike, Subscription } from 'rxjs';

import type { Logger } from '../../logger.js';
import type { Tracker } from '../../tracker/Tracker.js';
import { rpcError } from '../endpoint/rpcShape.js';
import type { ProxyOutboxOptions } from './outbox/Outbox.js';
import type { UpstreamSession } from './upstream/upstreamSession.js';
import { startOutbox, type OutboxRuntime } from './outbox/startOutbox.js';
import type { Narrower, ProxyNotice, ProxyOptions } from './Proxy.js';
import { ToolCatalog } from './toolCatalog.js';
import { SharedLink } from './upstream/sharedLink.js';
import type { ProxyBackoff, ProxyUpstream } from './upstream/Upstream.js';
import type { UpstreamDeadlines } from './upstream/upstreamDeadlines.js';
import { UpstreamLink, type LinkDeps, type SessionLink } from './upstream/upstreamLink.js';
import { isHttpUpstream, upstreamName } from './upstream/upstreamTransport.js';
import { ClientSpans } from './upstream/clientSpans.js';
import { recordSafely } from '../endpoint/recordSafely.js';

/** What one upstream's machinery needs from the endpoint around it. */
export interface UnitOptions<C> {
  readonly upstream: ProxyUpstream;
  /** The upstream's name in notices, over `upstream.name` (a gateway's server name). */
  readonly name?: string;
  readonly tracker: Tracker;
  readonly logger: Logger | undefined;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly backoff: ProxyBackoff | undefined;
  readonly deadlines: UpstreamDeadlines;
  readonly narrow: Narrower<C> | undefined;
  readonly context: C;
  readonly outbox: ProxyOutboxOptions | undefined;
  readonly onUnreachable: ProxyOptions<C>['onUnreachable'];
  /** Into the log and to the host's subscribers. */
  readonly notice: (notice: ProxyNotice) => void;
}

/** What an agent session's link reports back to the session that owns it. */
export interface SessionLinkOwner {
  readonly id: string;
  /** The session's capture: what its link sends for no agent request is noted under it. */
  readonly capture?: string;
  /**
   * The session's own child exited after its handshake (the exit code and stderr tail); its
   * upstream session, gone already, is the one whose questions to the agent are withdrawn.
   */
  readonly exited: (reason: string, session: UpstreamSession) => void;
  readonly fromUpstream: LinkDeps['onServerMessage'];
}

/** One upstream's link, catalog and outbox. */
export class UpstreamUnit<C> {
  readonly link: UpstreamLink;
  readonly catalog: ToolCatalog<C>;
  readonly outbox: OutboxRuntime | undefined;
  /** A stdio server declared stateless: every agent session sends over the unit's own child. */
  readonly shared: boolean;
  readonly #spans: ClientSpans;
  readonly #wakes: Subscription | undefined;

  constructor(
    private readonly options: UnitOptions<C>,
    notices: { subscribe: (next: (notice: ProxyNotice) => void) => Subscription },
  ) {
    const { upstream, scheduler, random, logger } = options;
    this.shared = !isHttpUpstream(upstream) && upstream.shared === true;
    // The link and the catalog need each other: the link asks for a fresh list when it comes up.
    const late: { catalog?: ToolCatalog<C> } = {};
    const refreshQuietly = (): void =>
      void late.catalog
        ?.refresh()
        .catch((error: unknown) => logger?.warn(`tools/list: ${String(error)}`));
    const server = options.name ?? upstreamName(upstream);
    this.#spans = new ClientSpans(server, upstream, (type, data, capture) =>
      recordSafely(logger, type, () =>
        options.tracker.note(type, data, capture === undefined ? {} : { capture }),
      ),
    );
    this.link = new UpstreamLink({
      upstream,
      name: options.name,
      spans: this.#spans,
      scheduler,
      random,
      backoff: options.backoff,
      deadlines: options.deadlines,
      notice: options.notice,
      logger,
      onUp: refreshQuietly,
      onServerMessage: (message, session) => {
        // Nobody is behind this session (a shared child's are every agent's, so no one agent's):
        // it answers its questions itself (it declared no capability), and the only news it
        // acts on is a changed tool list. Progress reached its agent by token before this.
        if ('id' in message) {
          const refusal = this.shared
            ? `a shared upstream process (upstream.shared) cannot ask an agent: ${message.method} cannot reach one`
            : `the proxy's own session takes no ${message.method}`;
          const answer =
            message.method === 'ping'
              ? { jsonrpc: '2.0' as const, id: message.id, result: {} }
              : rpcError(message.id, -32601, refusal);
          void session.reply(answer).catch(() => undefined);
        } else if (message.method === 'notifications/tools/list_changed') refreshQuietly();
      },
    });
    const link = this.link;
    this.outbox =
      options.outbox &&
      startOutbox(options.outbox, {
        tracker: options.tracker,
        logger,
        scheduler,
        random,
        // The link renews a refused credential and sends again, as for every request it forwards.
        forward: (request, key) => link.forward(request, { span: { outbox: key } }),
        isUp: () => link.state === 'up',
        server: link.server,
      });
    const outbox = this.outbox;
    this.#wakes =
      outbox &&
      notices.subscribe((value) => {
        if (value.type === 'upstream.changed' && value.data.server !== link.server) return;
        // A line on stderr is no change of state: it must not count as the upstream coming up.
        if (value.type === 'upstream.changed' && value.data.stderr !== undefined) return;
        if (value.type === 'catalog.listed' && value.data.server !== link.server) return;
        if (value.type === 'upstream.changed' && value.data.state === 'up') {
          // The handshake just answered: kept, for a start while the upstream is down.
          outbox.keep({ initialize: link.initialized });
          outbox.upstreamUp();
        } else if (value.type === 'catalog.listed' && value.data.kept !== true) {
          outbox.keep({ tools: value.data.tools });
        }
      });
    this.catalog = new ToolCatalog<C>(
      link,
      options.narrow,
      options.context,
      options.notice,
      (error) => logger?.warn(`the narrow function threw, so no tool is visible: ${String(error)}`),
    );
    late.catalog = this.catalog;
    if (outbox) this.catalog.restore(outbox.kept);
  }

  /** What an unreachable `tools/call` gets: the outbox's answer, or the host's seam. */
  get onUnreachable(): ProxyOptions<C>['onUnreachable'] {
    return this.outbox?.onUnreachable ?? this.options.onUnreachable;
  }

  /**
   * An agent session's own link upstream, introduced with the agent's own hello, sharing the
   * unit's health and credential renewal; with a shared child, its share of the unit's link.
   */
  sessionLink(hello: InitializeRequestParams, owner: SessionLinkOwner): SessionLink {
    if (this.shared) return new SharedLink(this.link, owner.id, owner.capture);
    const { upstream, scheduler, random, logger } = this.options;
    // With an outbox, a stdio upstream's own child starts with the first agent session (an
    // HTTP upstream's own session starts with the endpoint): the catalog the outbox keeps for a
    // cold start comes from it, never from an agent's list. A no-op once it is up.
    if (this.outbox && !isHttpUpstream(upstream)) void this.link.ensure().catch(() => undefined);
    return new UpstreamLink({
      upstream,
      name: this.options.name,
      scheduler,
      random,
      backoff: this.options.backoff,
      notice: this.options.notice,
      logger,
      hello,
      deadlines: this.options.deadlines,
      health: this.link,
      renewal: this.link.renewal,
      spans: this.#spans,
      capture: owner.capture,
      onUp: () => undefined,
      onExited: owner.exited,
      onServerMessage: owner.fromUpstream,
    });
  }

  /**
   * Stop the outbox's worker: call before the link closes, so that a delivery in flight ends as
   * unreachable and stays pending. Idempotent.
   */
  stopOutbox(): Promise<void> {
    this.#wakes?.unsubscribe();
    return this.outbox?.stop() ?? Promise.resolve();
  }

  /** Stop the outbox, then the link (the agent sessions' links are closed before). */
  async close(): Promise<void> {
    const outboxStopped = this.stopOutbox();
    await this.link.close();
    await outboxStopped;
  }
}

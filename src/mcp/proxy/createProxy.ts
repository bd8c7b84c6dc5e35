import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';

import { asyncScheduler, Subject } from 'rxjs';

import { captureKeyProblem, CaptureCredentials } from '../endpoint/captureCredentials.js';
import { untrackedPolicy } from '../endpoint/trackRequest.js';
import { startOutbox } from './outbox/startOutbox.js';
import { allowedHosts } from '../../http/loopbackHosts.js';
import { replyError } from '../endpoint/httpReplies.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { guardConnections } from '../../http/connectionGuard.js';
import { resolveConnectionLimits } from '../../http/connectionLimits.js';
import { StreamSlots } from '../../http/streamSlots.js';
import type { Proxy, ProxyNotice, ProxyOptions } from './Proxy.js';
import { ProxyError } from './ProxyError.js';
import { serveAgent, type AgentDeps } from './serveAgent.js';
import { ToolCatalog } from './toolCatalog.js';
import { AgentSessions } from './agentSessions.js';
import { resolveSessionOptions } from '../endpoint/sessionLimits.js';
import { rpcError } from '../endpoint/rpcShape.js';
import { isHttpUpstream } from './upstream/upstreamTransport.js';
import { upstreamHeaderProblem } from './upstream/httpTransport.js';
import { UpstreamLink } from './upstream/upstreamLink.js';
import { SharedLink } from './upstream/sharedLink.js';
import { resolveDeadlines } from './upstream/upstreamDeadlines.js';
import { bodyLimitsOf, MCP_PATH } from '../endpoint/Endpoint.js';

/** An HTTP upstream's `headers`: each one sendable, none the proxy's own, no name twice. */
function checkHeaders(headers: unknown, http: boolean): void {
  if (!http) {
    throw new ProxyError(
      'invalid_option',
      'upstream.headers is for an HTTP upstream ({ url, headers }): a stdio server takes env instead',
    );
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new ProxyError(
      'invalid_option',
      'upstream.headers must be an object of header names to string values',
    );
  }
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    // The name only, never the value: a configured header usually carries a credential.
    const problem = upstreamHeaderProblem(name, value);
    if (problem !== undefined) {
      throw new ProxyError(
        'invalid_option',
        `upstream.headers[${JSON.stringify(name)}] ${problem}`,
      );
    }
    const twice = seen.get(name.toLowerCase());
    if (twice !== undefined) {
      throw new ProxyError(
        'invalid_option',
        `upstream.headers names one header twice (${JSON.stringify(twice)} and ${JSON.stringify(name)}): header names ignore case, keep one`,
      );
    }
    seen.set(name.toLowerCase(), name);
  }
}

function checkOptions(options: ProxyOptions<unknown>): void {
  if (typeof options.tracker?.requestStarted !== 'function') {
    throw new ProxyError('invalid_option', 'options.tracker is required: pass createTracker()');
  }
  const upstream = options.upstream as unknown as Record<string, unknown> | undefined;
  const http = typeof upstream?.url === 'string';
  if (!http && typeof upstream?.command !== 'string') {
    throw new ProxyError(
      'invalid_option',
      'options.upstream must be { url } (Streamable HTTP) or { command, args } (a stdio server)',
    );
  }
  if (http && !URL.canParse(upstream.url as string)) {
    throw new ProxyError('invalid_option', `upstream.url is not a URL: ${String(upstream.url)}`);
  }
  if (upstream.shared !== undefined && typeof upstream.shared !== 'boolean') {
    throw new ProxyError(
      'invalid_option',
      `upstream.shared must be true or false, got ${JSON.stringify(upstream.shared)}`,
    );
  }
  if (upstream.headers !== undefined) checkHeaders(upstream.headers, http);
  if (http && upstream.shared === true) {
    throw new ProxyError(
      'invalid_option',
      'upstream.shared is for a stdio upstream ({ command, shared: true }): an HTTP upstream gives each agent session an HTTP session of its own, which costs no process; drop shared',
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ProxyError('invalid_option', `port must be an integer 0..65535, got ${String(port)}`);
  }
  if (options.outbox !== undefined && options.onUnreachable !== undefined) {
    throw new ProxyError(
      'invalid_option',
      'pass outbox or onUnreachable, not both: the outbox answers unreachable calls itself',
    );
  }
  // Agents once shared one secret given here; a shared secret lets any agent act under any
  // capture, so it is refused loudly rather than ignored (its agents would only get 401s).
  if ((options as { auth?: unknown }).auth !== undefined) {
    throw new ProxyError(
      'invalid_option',
      'auth is no longer an option: give each agent proxy.credential({ capture }), which admits that capture only',
    );
  }
}

/**
 * Start an MCP proxy on 127.0.0.1: agents connect to it with a credential bound to their
 * capture (`proxy.credential({ capture })`); it forwards to the
 * upstream (Streamable HTTP or a stdio process), tracks every request and tool call, narrows
 * `tools/list`, and keeps serving the last good list while the upstream is away.
 *
 * @example
 * const proxy = await createProxy({ tracker, upstream: { url, getToken: () => vault.token() } });
 * agent.connect(proxy.url, { Authorization: `Bearer ${proxy.credential({ capture: 'run-1' })}` });
 */
export async function createProxy<C = undefined>(options: ProxyOptions<C>): Promise<Proxy<C>> {
  checkOptions(options as ProxyOptions<unknown>);
  const { tracker, logger } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const notices = new Subject<ProxyNotice>();
  const notice = (value: ProxyNotice): void => {
    // Into the log first (so a recording has them), then to the host's subscribers.
    recordSafely(logger, value.type, () => tracker.note(value.type, value.data));
    notices.next(value);
  };
  const limits = resolveConnectionLimits(
    options.limits,
    (message) => new ProxyError('invalid_option', message),
  );
  const body = bodyLimitsOf(options.limits, (message) => new ProxyError('invalid_option', message));
  const deadlines = resolveDeadlines(
    options,
    (message) => new ProxyError('invalid_option', message),
  );
  const slots = new StreamSlots(limits, 'the proxy');
  // The link and the catalog need each other: the link asks for a fresh list when it comes up.
  const late: { catalog?: ToolCatalog<C> } = {};
  const refreshQuietly = (): void =>
    void late.catalog
      ?.refresh()
      .catch((error: unknown) => logger?.warn(`tools/list: ${String(error)}`));
  const random = options.random ?? Math.random;
  // A stdio server declared stateless: every agent session sends over the proxy's own child.
  const shared = !isHttpUpstream(options.upstream) && options.upstream.shared === true;
  // The proxy's own link: the catalog's listing, the outbox's deliveries, and the health that
  // every agent session's link shares (one backoff, one set of notices for the upstream).
  const link = new UpstreamLink({
    upstream: options.upstream,
    scheduler,
    random,
    backoff: options.backoff,
    deadlines,
    notice,
    logger,
    onUp: refreshQuietly,
    onServerMessage: (message, session) => {
      // Nobody is behind this session (a shared child's are every agent's, so no one agent's):
      // the proxy answers its questions itself (it declared no capability), and the only news
      // it acts on is a changed tool list. Progress reached its agent by token before this.
      if ('id' in message) {
        const refusal = shared
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
  const outbox =
    options.outbox &&
    startOutbox(options.outbox, {
      tracker,
      logger,
      scheduler,
      random: options.random ?? Math.random,
      // The link renews a refused credential and sends again, as for every request it forwards.
      forward: (request) => link.forward(request),
      isUp: () => link.state === 'up',
      server: link.server,
    });
  const outboxWakes = notices.subscribe((value) => {
    if (value.type === 'upstream.changed' && value.data.state === 'up') {
      // The handshake just answered: kept, for a proxy that starts while the upstream is down.
      outbox?.keep({ initialize: link.initialized });
      outbox?.upstreamUp();
    } else if (value.type === 'catalog.listed' && value.data.kept !== true) {
      outbox?.keep({ tools: value.data.tools });
    }
  });
  const catalog = new ToolCatalog<C>(link, options.narrow, options.context as C, notice, (error) =>
    logger?.warn(`the narrow function threw, so no tool is visible: ${String(error)}`),
  );
  late.catalog = catalog;
  if (outbox) catalog.restore(outbox.kept);
  const sessionOptions = resolveSessionOptions(
    options.limits,
    options.sessionIdleMs,
    (message) => new ProxyError('invalid_option', message),
  );
  const sessions = new AgentSessions(
    {
      catalog: catalog as unknown as ToolCatalog<unknown>,
      scheduler,
      idleMs: sessionOptions.idleMs,
      logger,
      note: (type, data, capture) =>
        recordSafely(logger, type, () => tracker.note(type, data, { capture })),
      // Each agent session has its own upstream session (or child), introduced with the
      // agent's own hello, sharing the proxy link's health and credential renewal; with a
      // shared child, its share of the proxy's own link.
      link: (hello, session) => {
        if (shared) return new SharedLink(link, session.id);
        // With an outbox, a stdio proxy's own child starts with the first agent session (an
        // HTTP proxy's own session starts with the proxy): the catalog the outbox keeps for a
        // cold start comes from it, never from an agent's list. A no-op once it is up.
        if (outbox && !isHttpUpstream(options.upstream)) void link.ensure().catch(() => undefined);
        return new UpstreamLink({
          upstream: options.upstream,
          scheduler,
          random,
          backoff: options.backoff,
          notice,
          logger,
          hello,
          deadlines,
          health: link,
          renewal: link.renewal,
          onUp: () => undefined,
          onExited: (reason) => {
            logger?.warn(
              `an agent session's upstream process exited, so the session ended: ${reason}`,
            );
            void session.end(reason);
          },
          onServerMessage: (message, upstream) => {
            // This session's own list changed: the upstream may list per client.
            if (message.method === 'notifications/tools/list_changed') session.tools.relist();
            else session.fromUpstream(message, upstream);
          },
        });
      },
    },
    sessionOptions.maxSessions,
    sessionOptions.maxSessionsPerCapture,
  );
  // A cleared capture's sessions would only be refused (409) from now on, yet an open GET stream
  // keeps a session and its upstream session alive: end them with the capture.
  const untracked = untrackedPolicy(
    options.untracked,
    (message) => new ProxyError('invalid_option', message),
  );
  const cleared =
    untracked === 'serve'
      ? undefined
      : tracker.events$.subscribe((event) => {
          if (event.type !== 'capture.cleared' || event.capture === undefined) return;
          void sessions.endCapture(event.capture, 'the capture was cleared');
        });
  const credentials = new CaptureCredentials(['agent'] as const);
  const hosts = new Set<string>();
  const deps: AgentDeps = {
    tracker,
    link,
    catalog: catalog as unknown as ToolCatalog<unknown>,
    onUnreachable: outbox?.onUnreachable ?? options.onUnreachable,
    logger,
    credentials,
    untracked,
    hosts,
    endsSessions: true,
    sessions,
    slots,
    ...body,
    scheduler,
  };
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    serveAgent(deps, req, res).catch((error: unknown) => {
      logger?.warn(`proxy request failed: ${String(error)}`);
      if (!res.headersSent) replyError(res, 500, -32603, 'Internal error', { close: true });
      else res.destroy();
    });
  });
  guardConnections(server, limits, {
    server: 'the proxy',
    logger,
    bodyTimeoutMs: deps.bodyTimeoutMs,
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => {
      outboxWakes.unsubscribe();
      cleared?.unsubscribe();
      void outbox?.stop();
      reject(
        new ProxyError(
          'listen_failed',
          `cannot listen on 127.0.0.1:${options.port ?? 0} (${error.message}): free the port or pass port 0`,
          { cause: error },
        ),
      );
    });
    server.listen({ port: options.port ?? 0, host: '127.0.0.1', exclusive: true }, () => {
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : 0);
    });
  });
  for (const allowed of allowedHosts('127.0.0.1', port)) hosts.add(allowed);
  // An HTTP upstream is cheap to reach: connect now, so the first agent sees a warm catalog.
  if (isHttpUpstream(options.upstream)) void link.ensure().catch(() => undefined);

  let closing: Promise<void> | undefined;
  const current = catalog;
  return {
    url: `http://127.0.0.1:${port}${MCP_PATH}`,
    port,
    credential({ capture }) {
      const problem = captureKeyProblem(capture);
      if (problem !== undefined) throw new ProxyError('invalid_option', problem);
      const credential = credentials.mint(capture, 'agent');
      if (credential === undefined) {
        throw new ProxyError(
          'proxy_closed',
          'this proxy is closed and forgot its credential key: mint credentials on its replacement',
        );
      }
      return credential;
    },
    tracker,
    notices$: notices.asObservable(),
    listChanged$: current.listChanged$,
    upstreamState: () => link.state,
    visibleTools: (scope) => current.visible(scope?.capture),
    sessions: () => sessions.size,
    setContext(context, scope) {
      if (closing)
        throw new ProxyError(
          'proxy_closed',
          'this proxy is closed: set the context on its replacement',
        );
      const capture = scope?.capture;
      if (capture !== undefined) {
        const problem = captureKeyProblem(capture);
        if (problem !== undefined) throw new ProxyError('invalid_option', problem);
      }
      notice({
        type: 'context.changed',
        data: capture === undefined ? { context } : { context, capture },
      });
      current.setContext(context, capture);
    },
    async refreshTools() {
      // A rotated token may be what the upstream was waiting for: do not wait for the backoff.
      link.retryNow();
      const listing = await current.refresh();
      return listing.kind === 'tools' ? listing.tools : current.visible();
    },
    outbox: outbox?.view,
    openStreams: () => slots.stats().open,
    close() {
      closing ??= (async () => {
        credentials.forget();
        outboxWakes.unsubscribe();
        cleared?.unsubscribe();
        // Before the link closes: a delivery in flight then ends as unreachable and stays pending.
        const outboxStopped = outbox?.stop();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await sessions.closeAll('the proxy closed');
        await link.close();
        await outboxStopped;
        const dropped = [...open].map((res) => once(res, 'close'));
        server.closeAllConnections();
        await Promise.all([stopped, ...dropped]);
        current.complete();
        notices.complete();
      })();
      return closing;
    },
  };
}

import { asyncScheduler, Subject } from 'rxjs';

import { captureKeyProblem, CaptureCredentials } from '../endpoint/captureCredentials.js';
import { untrackedPolicy } from '../endpoint/trackRequest.js';
import { allowedHosts } from '../../http/loopbackHosts.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { sessionNotesFor } from '../endpoint/sessionRegistry.js';
import { listenLoopback } from '../endpoint/listenLoopback.js';
import { resolveConnectionLimits } from '../../http/connectionLimits.js';
import { StreamSlots } from '../../http/streamSlots.js';
import type { Proxy, ProxyNotice, ProxyOptions } from './Proxy.js';
import { ProxyError } from './ProxyError.js';
import { proxySessions, serveAgent, type AgentDeps } from './serveAgent.js';
import type { ToolCatalog } from './toolCatalog.js';
import { UpstreamUnit } from './upstreamUnit.js';
import { AgentSessions } from './agentSessions.js';
import { resolveSessionOptions } from '../endpoint/sessionLimits.js';
import { isHttpUpstream } from './upstream/upstreamTransport.js';
import { upstreamProblem } from './upstream/upstreamProblem.js';
import { resolveDeadlines } from './upstream/upstreamDeadlines.js';
import { bodyLimitsOf, MCP_PATH } from '../endpoint/Endpoint.js';

function checkOptions(options: ProxyOptions<unknown>): void {
  if (typeof options.tracker?.requestStarted !== 'function') {
    throw new ProxyError('invalid_option', 'options.tracker is required: pass createTracker()');
  }
  const problem = upstreamProblem(options.upstream, 'upstream');
  if (problem !== undefined) throw new ProxyError('invalid_option', problem);
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
  const unit = new UpstreamUnit<C>(
    {
      upstream: options.upstream,
      tracker,
      logger,
      scheduler,
      random: options.random ?? Math.random,
      backoff: options.backoff,
      deadlines,
      narrow: options.narrow,
      context: options.context as C,
      outbox: options.outbox,
      onUnreachable: options.onUnreachable,
      notice,
    },
    notices,
  );
  const { link, catalog } = unit;
  const sessionOptions = resolveSessionOptions(
    options.limits,
    options.sessionIdleMs,
    (message) => new ProxyError('invalid_option', message),
  );
  const sessionNotes = sessionNotesFor(tracker, logger);
  const sessions = new AgentSessions(
    {
      catalog: catalog as unknown as ToolCatalog<unknown>,
      scheduler,
      idleMs: sessionOptions.idleMs,
      logger,
      note: (type, data, capture) =>
        recordSafely(logger, type, () => tracker.note(type, data, { capture })),
      // Each agent session has its own upstream session (or child): its messages are its
      // agent's, and when its own child exits after serving, that session ends (no other).
      link: (hello, session) =>
        unit.sessionLink(hello, {
          id: session.id,
          capture: session.capture,
          exited: (reason) => {
            logger?.warn(
              `an agent session's upstream process exited, so the session ended: ${reason}`,
            );
            void session.end(reason);
          },
          fromUpstream: (message, upstream) => {
            // This session's own list changed: the upstream may list per client.
            if (message.method === 'notifications/tools/list_changed') session.tools.relist();
            else session.fromUpstream(message, upstream);
          },
        }),
    },
    sessionOptions.maxSessions,
    sessionOptions.maxSessionsPerCapture,
    sessionNotes,
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
    onUnreachable: unit.onUnreachable,
    logger,
    credentials,
    untracked,
    hosts,
    endsSessions: true,
    sessions,
    sessionNotes,
    slots,
    ...body,
    scheduler,
  };
  const served = proxySessions(deps);
  const { port, stopAccepting, dropConnections } = await listenLoopback(
    {
      name: 'the proxy',
      port: options.port ?? 0,
      limits,
      bodyTimeoutMs: deps.bodyTimeoutMs,
      logger,
      listenFailed: (message, cause) => new ProxyError('listen_failed', message, { cause }),
    },
    (req, res) => serveAgent(served, req, res),
  ).catch((error: unknown) => {
    cleared?.unsubscribe();
    void unit.stopOutbox();
    throw error;
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
    outbox: unit.outbox?.view,
    openStreams: () => slots.stats().open,
    close() {
      closing ??= (async () => {
        credentials.forget();
        cleared?.unsubscribe();
        // Before the link closes: a delivery in flight then ends as unreachable and stays pending.
        const outboxStopped = unit.stopOutbox();
        const stopped = stopAccepting();
        await sessions.closeAll('the proxy closed');
        await unit.close();
        await outboxStopped;
        await Promise.all([stopped, dropConnections()]);
        current.complete();
        notices.complete();
      })();
      return closing;
    },
  };
}

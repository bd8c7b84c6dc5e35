import { asyncScheduler, Subject } from 'rxjs';

import { emptyInventory, foldInventory, inventoryOf } from '../../projections/inventory.js';
import { resolveConnectionLimits, timerMs } from '../../http/connectionLimits.js';
import { allowedHosts } from '../../http/loopbackHosts.js';
import { StreamSlots } from '../../http/streamSlots.js';
import { captureKeyProblem, CaptureCredentials } from '../endpoint/captureCredentials.js';
import { bodyLimitsOf, MCP_PATH } from '../endpoint/Endpoint.js';
import { listenLoopback } from '../endpoint/listenLoopback.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { serveSessions, type SessionEndpointDeps } from '../endpoint/serveSessions.js';
import { resolveSessionOptions } from '../endpoint/sessionLimits.js';
import { SessionRegistry, sessionNotesFor } from '../endpoint/sessionRegistry.js';
import { untrackedPolicy } from '../endpoint/trackRequest.js';
import type { NoteQuestion } from '../proxy/agentQuestions.js';
import type { Narrower, ProxyNotice } from '../proxy/Proxy.js';
import { resolveDeadlines } from '../proxy/upstream/upstreamDeadlines.js';
import { abandonGateway, answerGateway, gatewayInitialize } from './answerGateway.js';
import type { Gateway, GatewayOptions } from './Gateway.js';
import { GatewayContexts } from './gatewayContexts.js';
import { GatewayError } from './GatewayError.js';
import { GatewaySession } from './gatewaySession.js';
import { GatewayUpstream, upstreamFingerprint } from './gatewayUpstream.js';
import { nameCatalog } from './namedCatalog.js';
import { checkServers, invalid } from './checkServers.js';

const LIST_WAIT_MS = 5_000;

/**
 * Start a gateway on 127.0.0.1: one tracked MCP endpoint in front of many servers, each with the
 * proxy's machinery (a session of its own per agent session, relays, deadlines, backoff, a
 * cached catalog, an optional outbox), started on first use. Agents see every server's tools
 * as `<server>__<tool>`; `gateway.inventory()` says what they can use without touching a server.
 *
 * @example
 * const gateway = await createGateway({
 *   tracker,
 *   servers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } },
 * });
 * agent.connect(gateway.url, { Authorization: `Bearer ${gateway.credential({ capture: 'run-1' })}` });
 */
export async function createGateway<C = undefined>(
  options: GatewayOptions<C>,
): Promise<Gateway<C>> {
  if (typeof options.tracker?.requestStarted !== 'function') {
    throw invalid('options.tracker is required: pass createTracker()');
  }
  const configured = checkServers(options.servers);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`port must be an integer 0..65535, got ${String(port)}`);
  }
  const reserved = options.reserved ?? [];
  if (!Array.isArray(reserved) || reserved.some((name) => typeof name !== 'string')) {
    throw invalid('options.reserved must be an array of tool names');
  }
  const { tracker, logger } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const limits = resolveConnectionLimits(options.limits, invalid);
  const body = bodyLimitsOf(options.limits, invalid);
  const deadlines = resolveDeadlines(options, invalid);
  const listWaitMs = timerMs(options.listWaitMs, 'listWaitMs', invalid) ?? LIST_WAIT_MS;
  const sessionOptions = resolveSessionOptions(options.limits, options.sessionIdleMs, invalid);
  const untracked = untrackedPolicy(options.untracked, invalid);

  const notices = new Subject<ProxyNotice>();
  const notice = (value: ProxyNotice): void => {
    // Into the log first (so a recording has them), then to the host's subscribers.
    recordSafely(logger, value.type, () => tracker.note(value.type, value.data));
    notices.next(value);
  };
  // The inventory folds the whole log, what came before this gateway too (a restart over the
  // same store knows the catalogs listed before it, and which are stale now), then every event.
  let inventory = emptyInventory();
  for (const event of tracker.store.read()) inventory = foldInventory(inventory, event);
  const folding = tracker.events$.subscribe((event) => {
    inventory = foldInventory(inventory, event);
  });
  const servers = configured.map(
    ([name, server]) =>
      new GatewayUpstream(
        name,
        server,
        server.config ?? upstreamFingerprint(server.upstream),
        {
          tracker,
          logger,
          scheduler,
          random,
          backoff: options.backoff,
          deadlines,
          onUnreachable: undefined,
          notice,
        },
        notices,
      ),
  );
  const prefixes = new Map<string, string>();
  for (const server of servers) {
    if (server.prefix !== undefined) prefixes.set(server.name, server.prefix);
  }
  recordSafely(logger, 'gateway.configured', () =>
    tracker.note('gateway.configured', {
      servers: servers.map((s) => ({
        name: s.name,
        config: s.config,
        transport: s.transport,
        ...(s.prefix === undefined ? {} : { prefix: s.prefix }),
      })),
    }),
  );
  const contexts = new GatewayContexts<unknown>(
    options.narrow as Narrower<unknown> | undefined,
    options.context,
    (error) => logger?.warn(`the narrow function threw, so no tool is visible: ${String(error)}`),
  );
  if (options.context !== undefined) {
    notice({ type: 'context.changed', data: { context: options.context } });
  }
  const sessionNotes = sessionNotesFor(tracker, logger);
  const registry = new SessionRegistry<GatewaySession>(
    'the gateway',
    sessionOptions.maxSessions,
    sessionOptions.maxSessionsPerCapture,
    sessionNotes,
  );
  const sessionDeps = {
    servers,
    prefixes,
    contexts,
    reserved,
    listWaitMs,
    scheduler,
    idleMs: sessionOptions.idleMs,
    logger,
    note: (type: Parameters<NoteQuestion>[0], data: Parameters<NoteQuestion>[1], capture: string) =>
      recordSafely(logger, type, () => tracker.note(type, data, { capture })),
  };
  const cleared =
    untracked === 'serve'
      ? undefined
      : tracker.events$.subscribe((event) => {
          if (event.type !== 'capture.cleared' || event.capture === undefined) return;
          const capture = event.capture;
          void registry.endWhere((s) => s.capture === capture, 'the capture was cleared');
        });
  const credentials = new CaptureCredentials(['agent'] as const);
  const hosts = new Set<string>();
  const deps: SessionEndpointDeps<GatewaySession> = {
    tracker,
    logger,
    credentials,
    untracked,
    hosts,
    endsSessions: true,
    sessionNotes,
    slots: new StreamSlots(limits, 'the gateway'),
    ...body,
    scheduler,
    host: {
      open: (capture, hello) =>
        registry.open(
          capture,
          capture,
          (id, ended) => new GatewaySession(id, capture, hello, { ...sessionDeps, ended }),
        ),
      find: (id, capture) => registry.find(id, capture),
      initialize: (_session, request) => Promise.resolve(gatewayInitialize(request)),
      answer: (session, message, handle, deliver, span) =>
        answerGateway({ tracker, logger }, session, message, handle, deliver, span),
      abandoned: abandonGateway,
    },
  };
  const listening = await listenLoopback(
    {
      name: 'the gateway',
      port,
      limits,
      bodyTimeoutMs: deps.bodyTimeoutMs,
      logger,
      listenFailed: (message, cause) => new GatewayError('listen_failed', message, { cause }),
    },
    (req, res) => serveSessions(deps, req, res),
  ).catch(async (error: unknown) => {
    folding.unsubscribe();
    cleared?.unsubscribe();
    // A server with an outbox started with the gateway: stop it too, not only its outbox.
    await Promise.all(servers.map((server) => server.unit.close()));
    throw error;
  });
  for (const allowed of allowedHosts('127.0.0.1', listening.port)) hosts.add(allowed);

  let closing: Promise<void> | undefined;
  const scopeCapture = (scope: { readonly capture?: string; readonly session?: string } = {}) => {
    if (scope.session !== undefined) {
      const session = registry.where((s) => s.id === scope.session)[0];
      if (session === undefined) {
        throw invalid(`no open session ${JSON.stringify(scope.session)}: it ended, or never was`);
      }
      return session.capture;
    }
    return scope.capture;
  };
  return {
    url: `http://127.0.0.1:${listening.port}${MCP_PATH}`,
    port: listening.port,
    tracker,
    notices$: notices.asObservable(),
    credential({ capture }) {
      const problem = captureKeyProblem(capture);
      if (problem !== undefined) throw invalid(problem);
      const credential = credentials.mint(capture, 'agent');
      if (credential === undefined) {
        throw new GatewayError(
          'gateway_closed',
          'this gateway is closed and forgot its credential key: mint credentials on its replacement',
        );
      }
      return credential;
    },
    servers: () =>
      servers.map((server) => ({
        name: server.name,
        state: server.used ? server.unit.link.state : 'idle',
      })),
    inventory: (scope) =>
      inventoryOf(inventory, {
        at: scheduler.now(),
        capture: scopeCapture(scope),
        reserved,
        ...(options.narrow && {
          narrow: (tools, context) => options.narrow!(tools as never, context as C),
        }),
      }),
    visibleTools(scope) {
      const named = nameCatalog(
        servers.map((server) => [server.name, server.unit.catalog.tools] as const),
        reserved,
        prefixes,
      );
      return contexts.visible(named.items, scope?.capture);
    },
    setContext(context, scope) {
      if (closing) {
        throw new GatewayError(
          'gateway_closed',
          'this gateway is closed: set the context on its replacement',
        );
      }
      const capture = scope?.capture;
      if (capture !== undefined) {
        const problem = captureKeyProblem(capture);
        if (problem !== undefined) throw invalid(problem);
      }
      notice({
        type: 'context.changed',
        data: capture === undefined ? { context } : { context, capture },
      });
      contexts.set(context, capture);
    },
    sessions: () => registry.size,
    outbox: (name) => servers.find((server) => server.name === name)?.unit.outbox?.view,
    openStreams: () => deps.slots.stats().open,
    close() {
      closing ??= (async () => {
        credentials.forget();
        cleared?.unsubscribe();
        const outboxes = servers.map((server) => server.unit.stopOutbox());
        const stopped = listening.stopAccepting();
        await registry.closeAll('the gateway closed');
        await Promise.all(servers.map((server) => server.unit.close()));
        await Promise.all(outboxes);
        await Promise.all([stopped, listening.dropConnections()]);
        folding.unsubscribe();
        contexts.complete();
        for (const server of servers) server.unit.catalog.complete();
        notices.complete();
      })();
      return closing;
    },
  };
}

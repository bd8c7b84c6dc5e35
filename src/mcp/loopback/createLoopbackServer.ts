import { once } from 'node:events';
import { createServer, type Server as HttpServer, type ServerResponse } from 'node:http';

import { asyncScheduler, type SchedulerLike } from 'rxjs';

import { captureKeyProblem, CaptureCredentials } from '../endpoint/captureCredentials.js';
import { untrackedPolicy } from '../endpoint/trackRequest.js';
import { handleHttpRequest, type HttpDeps } from './handleHttpRequest.js';
import { guardConnections } from '../../http/connectionGuard.js';
import { resolveConnectionLimits } from '../../http/connectionLimits.js';
import { StreamSlots } from '../../http/streamSlots.js';
import {
  allowedHosts,
  loopbackAddress,
  nonLoopbackMessage,
  type LoopbackAddress,
} from '../../http/loopbackHosts.js';
import { replyError } from '../endpoint/httpReplies.js';
import { LoopbackError } from './LoopbackError.js';
import {
  type BeforeToolCallHook,
  type LoopbackRole,
  type LoopbackServer,
  type LoopbackServerOptions,
} from './LoopbackServer.js';
import { PendingCalls } from './pendingCalls.js';
import { LIST_CHANGED, SseStreams } from '../endpoint/sseStreams.js';
import { ToolRegistry } from './toolRegistry.js';
import { bodyLimitsOf, MCP_PATH } from '../endpoint/Endpoint.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { resolveSessionOptions } from '../endpoint/sessionLimits.js';
import { SessionRegistry } from '../endpoint/sessionRegistry.js';
import type { AskNote } from './agentAsks.js';
import { ASK_TIMEOUT_MS } from './callAgent.js';
import { claimOf, LoopbackSession } from './loopbackSession.js';
import { loopbackMcpServer } from './mcpServer.js';
import { PromptRegistry } from './promptRegistry.js';
import { ResourceRegistry } from './resourceRegistry.js';

const SERVER_INFO = { name: 'toolflight', version: '0.1.0' };

const PROMPTS_CHANGED = {
  jsonrpc: '2.0',
  method: 'notifications/prompts/list_changed',
} as const;
const RESOURCES_CHANGED = {
  jsonrpc: '2.0',
  method: 'notifications/resources/list_changed',
} as const;

/** The address to bind for a `host` option; throws for anything but loopback. */
function bindAddress(host: string | undefined): LoopbackAddress {
  const address = loopbackAddress(host);
  if (address === undefined) {
    throw new LoopbackError('non_loopback_host', nonLoopbackMessage('the loopback server', host));
  }
  return address;
}

/** A positive finite number option, or undefined when not given. */
function positive(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new LoopbackError(
      'invalid_option',
      `${what} must be a positive number, got ${String(value)}`,
    );
  }
  return value;
}

/** The scheduler option, or RxJS `asyncScheduler` when not given. */
function timerScheduler(scheduler: SchedulerLike | undefined): SchedulerLike {
  if (scheduler === undefined) return asyncScheduler;
  if (typeof scheduler?.schedule !== 'function' || typeof scheduler.now !== 'function') {
    throw new LoopbackError(
      'invalid_option',
      'scheduler must be an RxJS scheduler (asyncScheduler, or a VirtualTimeScheduler in tests): leave it out for real time',
    );
  }
  return scheduler;
}

const isHookList = (value: unknown): value is readonly BeforeToolCallHook[] =>
  Array.isArray(value) && value.every((hook: unknown) => typeof hook === 'function');

/** The hooks option as a list; throws for anything but a function or a list of functions. */
function beforeToolCallHooks(hooks: unknown): readonly BeforeToolCallHook[] {
  const list = hooks === undefined ? [] : typeof hooks === 'function' ? [hooks] : hooks;
  if (!isHookList(list)) {
    throw new LoopbackError(
      'invalid_option',
      'hooks.beforeToolCall must be a function or an array of functions',
    );
  }
  return [...list];
}

function listen(server: HttpServer, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
      const hint =
        port === 0
          ? ': check that the loopback interface is up'
          : ': free the port or pass port 0 for any free one';
      reject(
        new LoopbackError('listen_failed', `cannot listen on ${where} (${error.message})${hint}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ port, host: address, exclusive: true }, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : port);
    });
  });
}

/**
 * Start a loopback MCP server on the SDK's Streamable HTTP transport, where every request and
 * tool call is tracked by `options.tracker`.
 *
 * It binds 127.0.0.1 (or ::1) only, on `options.port` or a free port, mints the key its
 * credentials are signed with (each admits one capture key, owner or not), and serves
 * `POST /mcp` (stateless, JSON responses by default) and `GET /mcp` (the SSE stream that
 * carries `notifications/tools/list_changed`).
 *
 * @example
 * const server = await createLoopbackServer({ tracker, tools: [echoTool] });
 * const { env, mcpServers } = loopbackClientConfig(server, { capture: 'run-1', owner: false });
 */
export async function createLoopbackServer(
  options: LoopbackServerOptions,
): Promise<LoopbackServer> {
  const { tracker } = options;
  if (typeof tracker?.requestStarted !== 'function') {
    throw new LoopbackError('invalid_option', 'options.tracker is required: pass createTracker()');
  }
  const address = bindAddress(options.host);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LoopbackError(
      'invalid_option',
      `port must be an integer 0..65535, got ${String(port)}`,
    );
  }
  const registry = new ToolRegistry();
  registry.set(options.tools);
  const prompts = options.prompts === undefined ? undefined : new PromptRegistry();
  prompts?.set(options.prompts!);
  const offersResources =
    options.resources !== undefined || options.resourceTemplates !== undefined;
  const resources = offersResources ? new ResourceRegistry() : undefined;
  resources?.set(options.resources ?? [], options.resourceTemplates ?? []);
  const hooks = beforeToolCallHooks(options.hooks?.beforeToolCall);
  const responseMode = options.responseMode ?? 'json';
  if (responseMode !== 'json' && responseMode !== 'sse') {
    throw new LoopbackError(
      'invalid_option',
      `responseMode must be "json" or "sse", got ${String(responseMode)}`,
    );
  }
  const untracked = untrackedPolicy(
    options.untracked,
    (message) => new LoopbackError('invalid_option', message),
  );
  const credentials = new CaptureCredentials<LoopbackRole>(['owner', 'non-owner']);
  const limits = resolveConnectionLimits(
    options.limits,
    (message) => new LoopbackError('invalid_option', message),
  );
  const optionError = (message: string) => new LoopbackError('invalid_option', message);
  const sessionOptions = resolveSessionOptions(options.limits, options.sessionIdleMs, optionError);
  const slots = new StreamSlots(limits, 'the loopback server');
  const streams = new SseStreams<LoopbackRole>(options.logger, slots);
  const scheduler = timerScheduler(options.scheduler);
  const pending = new PendingCalls(scheduler);
  const hosts = new Set<string>();
  const sessions = new SessionRegistry<LoopbackSession>(
    'the loopback server',
    sessionOptions.maxSessions,
    sessionOptions.maxSessionsPerCapture,
  );
  const note =
    (capture: string): AskNote =>
    (type, data) =>
      recordSafely(options.logger, type, () => tracker.note(type, data, { capture }));
  const jsonResponse = responseMode === 'json';
  const sessionDeps = {
    scheduler,
    idleMs: sessionOptions.idleMs,
    logger: options.logger,
    jsonResponse,
    note,
    serve: (channel: LoopbackSession['channel'], session: LoopbackSession) =>
      loopbackMcpServer(deps, channel, session),
  };
  const deps: HttpDeps = {
    tracker,
    registry,
    prompts,
    resources,
    hooks,
    pending,
    toolTimeoutMs: positive(options.toolTimeoutMs, 'toolTimeoutMs'),
    askTimeoutMs: positive(options.askTimeoutMs, 'askTimeoutMs') ?? ASK_TIMEOUT_MS,
    logger: options.logger,
    scheduler,
    serverInfo: options.serverInfo ?? SERVER_INFO,
    jsonResponse,
    credentials,
    untracked,
    hosts,
    streams,
    slots,
    sessions,
    endsSessions: true,
    note,
    openSession: (role, capture) =>
      sessions.open(
        claimOf(role, capture),
        capture,
        (id, ended) => new LoopbackSession(id, role, capture, sessionDeps, ended),
      ),
    ...bodyLimitsOf(options.limits, optionError),
  };
  // A cleared capture's sessions end: nothing they do could be tracked any more.
  const cleared =
    untracked === 'serve'
      ? undefined
      : tracker.events$.subscribe((event) => {
          if (event.type !== 'capture.cleared' || event.capture === undefined) return;
          const capture = event.capture;
          void sessions.endWhere(
            (session) => session.capture === capture,
            'the capture was cleared',
          );
        });
  /** Tell the sessions (and stateless streams) of every audience that changed. */
  const announce = (
    message: Parameters<LoopbackSession['toStream']>[0],
    changed: { readonly owner: boolean; readonly nonOwner: boolean },
  ): void => {
    const heard = (role: LoopbackRole) => (role === 'owner' ? changed.owner : changed.nonOwner);
    for (const session of sessions.where((live) => heard(live.role))) session.toStream(message);
    streams.send(message, heard);
  };
  const open_ = (what: string): void => {
    if (closing) {
      throw new LoopbackError(
        'server_closed',
        `this loopback server is closed: set ${what} on the server that replaced it`,
      );
    }
  };
  // Responses not yet closed: `close` waits for them, so that their requests are finished (and
  // their calls decided) in the tracker by the time it resolves.
  const open = new Set<ServerResponse>();
  const httpServer = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    handleHttpRequest(deps, req, res).catch((error: unknown) => {
      options.logger?.warn(`loopback request failed: ${String(error)}`);
      if (!res.headersSent) replyError(res, 500, -32603, 'Internal error', { close: true });
      else res.destroy();
    });
  });
  guardConnections(httpServer, limits, {
    server: 'the loopback server',
    logger: options.logger,
    bodyTimeoutMs: deps.bodyTimeoutMs,
  });
  const bound = await listen(httpServer, port, address);
  for (const allowed of allowedHosts(address, bound)) hosts.add(allowed);

  let closing: Promise<void> | undefined;
  const urlHost = address === '::1' ? '[::1]' : address;
  return {
    url: `http://${urlHost}:${bound}${MCP_PATH}`,
    host: address,
    port: bound,
    tracker,
    get listening() {
      return closing === undefined;
    },
    credential({ capture, owner }) {
      const problem = captureKeyProblem(capture);
      if (problem !== undefined) throw new LoopbackError('invalid_option', problem);
      const credential = credentials.mint(capture, owner ? 'owner' : 'non-owner');
      if (credential === undefined) {
        throw new LoopbackError(
          'server_closed',
          'this loopback server is closed and forgot its credential key: mint credentials on the server that replaced it',
        );
      }
      return credential;
    },
    tools: () => registry.tools,
    setTools(tools) {
      open_('tools');
      announce(LIST_CHANGED, registry.set(tools));
    },
    prompts: () => prompts?.prompts ?? [],
    setPrompts(list) {
      open_('prompts');
      if (prompts === undefined) {
        throw optionError(
          'this loopback server offers no prompts: pass prompts (even []) to createLoopbackServer, so that it declares the prompts capability',
        );
      }
      announce(PROMPTS_CHANGED, prompts.set(list));
    },
    setResources(list, templates) {
      open_('resources');
      if (resources === undefined) {
        throw optionError(
          'this loopback server offers no resources: pass resources (even []) to createLoopbackServer, so that it declares the resources capability',
        );
      }
      announce(RESOURCES_CHANGED, resources.set(list, templates ?? resources.registered.templates));
    },
    resourceUpdated(uri) {
      const told = sessions.where((session) => session.subscriptions.has(uri));
      const updated = {
        jsonrpc: '2.0' as const,
        method: 'notifications/resources/updated',
        params: { uri },
      };
      for (const session of told) session.toStream(updated);
      return told.length;
    },
    sessions: () => sessions.size,
    openStreams: () =>
      streams.size + sessions.where(() => true).reduce((sum, s) => sum + s.stream.open, 0),
    close() {
      closing ??= (async () => {
        cleared?.unsubscribe();
        await sessions.closeAll('the loopback server is closing');
        credentials.forget();
        pending.clear();
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await streams.closeAll();
        const dropped = [...open].map((res) => once(res, 'close'));
        httpServer.closeAllConnections();
        await Promise.all([stopped, ...dropped]);
      })();
      return closing;
    },
  };
}

import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';

import { captureKeyProblem, CaptureCredentials } from '../endpoint/captureCredentials.js';
import { untrackedPolicy } from '../endpoint/trackRequest.js';
import { handleHttpRequest, type HttpDeps } from './handleHttpRequest.js';
import { guardConnections } from '../../http/connectionGuard.js';
import { resolveConnectionLimits, timerMs } from '../../http/connectionLimits.js';
import { StreamSlots } from '../../http/streamSlots.js';
import { allowedHosts } from '../../http/loopbackHosts.js';
import { replyError } from '../endpoint/httpReplies.js';
import { LoopbackError } from './LoopbackError.js';
import type { LoopbackRole, LoopbackServer, LoopbackServerOptions } from './LoopbackServer.js';
import { PendingCalls } from './pendingCalls.js';
import { SseStreams } from '../endpoint/sseStreams.js';
import { bodyLimitsOf, MCP_PATH } from '../endpoint/Endpoint.js';
import { recordSafely } from '../endpoint/recordSafely.js';
import { resolveSessionOptions } from '../endpoint/sessionLimits.js';
import { SessionRegistry, sessionNotesFor } from '../endpoint/sessionRegistry.js';
import type { AskNote } from './agentAsks.js';
import { ASK_TIMEOUT_MS } from './callAgent.js';
import { LoopbackSession } from './loopbackSession.js';
import { claimOf } from './requestScope.js';
import { loopbackMcpServer } from './mcpServer.js';
import { HostCatalog } from './hostCatalog.js';
import {
  beforeToolCallHooks,
  bindAddress,
  jsonResponseOf,
  listen,
  portOf,
  timerScheduler,
} from './loopbackOptions.js';

const SERVER_INFO = { name: 'toolflight', version: '0.1.0' };

/**
 * Start a loopback MCP server on the SDK's Streamable HTTP transport, where every request and
 * tool call is tracked by `options.tracker`.
 *
 * It binds 127.0.0.1 (or ::1) only, on `options.port` or a free port, mints the key its
 * credentials are signed with (each admits one capture key, owner or not), and serves `/mcp`:
 * an `initialize` POST opens a session (`Mcp-Session-Id`, its own SDK server and GET stream,
 * ended by `DELETE` or `sessionIdleMs`); a POST without a session is answered as a stateless
 * server answers it. Answers are JSON unless something goes before them (`responseMode`).
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
  const port = portOf(options.port);
  const hooks = beforeToolCallHooks(options.hooks?.beforeToolCall);
  const jsonResponse = jsonResponseOf(options.responseMode);
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
  const sessionNotes = sessionNotesFor(tracker, options.logger);
  const sessions = new SessionRegistry<LoopbackSession>(
    'the loopback server',
    sessionOptions.maxSessions,
    sessionOptions.maxSessionsPerCapture,
    sessionNotes,
  );
  const note =
    (capture: string): AskNote =>
    (type, data) =>
      recordSafely(options.logger, type, () => tracker.note(type, data, { capture }));
  const catalog = new HostCatalog(options, sessions, streams);
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
    registry: catalog.tools,
    prompts: catalog.prompts,
    resources: catalog.resources,
    hooks,
    pending,
    toolTimeoutMs: timerMs(options.toolTimeoutMs, 'toolTimeoutMs', optionError),
    askTimeoutMs: timerMs(options.askTimeoutMs, 'askTimeoutMs', optionError) ?? ASK_TIMEOUT_MS,
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
    sessionNotes,
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
  const refuseWhenClosed = (what: string): void => {
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
    tools: () => catalog.tools.tools,
    setTools(tools) {
      refuseWhenClosed('tools');
      catalog.setTools(tools);
    },
    prompts: () => catalog.prompts?.prompts ?? [],
    setPrompts(list) {
      refuseWhenClosed('prompts');
      catalog.setPrompts(list);
    },
    setResources(list, templates) {
      refuseWhenClosed('resources');
      catalog.setResources(list, templates);
    },
    resourceUpdated: (uri) => catalog.resourceUpdated(uri),
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

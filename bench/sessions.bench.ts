// Agent sessions on one proxy over an HTTP upstream: what a session costs the proxy's heap, what
// opening one costs an agent compared with opening one on the upstream directly, and whether a
// mixed run ever delivers a message to the wrong session.
//
// The upstream and the proxy each run in a child process (this file, forked with a role), so
// the proxy's heap is its own; the agents are here.
import { randomUUID } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { createTracker } from '../dist/src/index.js';
import { createProxy } from '../dist/src/mcp/index.js';
import { collect, fmt, INITIALIZE_REQUEST, median, type Bench } from './harness.js';

const ROLE = 'TOOLFLIGHT_SESSIONS_BENCH_ROLE';
const SESSIONS = 1000;
const SETUPS = 200;
const AGENTS = 20;
const CALLS_PER_AGENT = 20;

/** A stateful SDK upstream: one server per session, a `log` tool that logs its tag on the call. */
async function upstream(): Promise<string> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const open = async (): Promise<StreamableHTTPServerTransport> => {
    const server = new Server(
      { name: 'upstream', version: '1' },
      { capabilities: { tools: {}, logging: {} } },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: 'log', inputSchema: { type: 'object' as const } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tag = String(request.params.arguments?.tag);
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: tag },
      });
      await server.sendLoggingMessage({ level: 'info', data: tag });
      return { content: [{ type: 'text' as const, text: tag }] };
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    await server.connect(transport);
    return transport;
  };
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (typeof id === 'string' && known === undefined) {
      res.writeHead(404).end();
      return;
    }
    void (known ? Promise.resolve(known) : open()).then((t) => t.handleRequest(req, res));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`;
}

/** The child of one role; it reports its URL (and answers heap questions). */
async function child(role: string): Promise<void> {
  if (role === 'upstream') {
    process.send!({ url: await upstream() });
    return;
  }
  const tracker = createTracker();
  tracker.beginCapture('bench');
  const proxy = await createProxy({
    tracker,
    upstream: { url: process.env.UPSTREAM_URL! },
    limits: {
      maxSessions: SESSIONS + SETUPS + AGENTS + 10,
      maxSessionsPerCapture: SESSIONS + SETUPS + AGENTS + 10,
      maxConnections: 4096,
    },
  });
  await proxy.refreshTools();
  process.on('message', (message: string) => {
    if (message !== 'heap') return;
    collect();
    process.send!({ heap: process.memoryUsage().heapUsed, sessions: proxy.sessions() });
  });
  process.send!({ url: proxy.url, credential: proxy.credential({ capture: 'bench' }) });
}

/** What a child reports once it listens. */
interface Ready {
  readonly url: string;
  readonly credential?: string;
}

async function start(
  role: string,
  env: Record<string, string> = {},
): Promise<[ChildProcess, Ready]> {
  const proc = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [ROLE]: role, ...env },
    execArgv: ['--expose-gc', '--import', 'tsx'],
  });
  const [ready] = (await once(proc, 'message')) as [Ready];
  return [proc, ready];
}

const ask = async (proc: ChildProcess): Promise<{ heap: number; sessions: number }> => {
  const answer = once(proc, 'message');
  proc.send('heap');
  return (await answer)[0] as { heap: number; sessions: number };
};

const INITIALIZE = JSON.stringify(INITIALIZE_REQUEST);

/** Open a session with a raw `initialize` (+ `initialized`); resolves with ms it took. */
async function openSession(url: string, authorization?: string): Promise<number> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    ...(authorization ? { Authorization: authorization } : {}),
  };
  const began = performance.now();
  const answer = await fetch(url, { method: 'POST', headers, body: INITIALIZE });
  await answer.text();
  const took = performance.now() - began;
  const session = answer.headers.get('mcp-session-id');
  if (answer.status !== 200 || session === null) throw new Error(`initialize: ${answer.status}`);
  const done = await fetch(url, {
    method: 'POST',
    headers: {
      ...headers,
      'Mcp-Session-Id': session,
      'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION,
    },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await done.text();
  return took;
}

/** SDK agents calling `log` at once; counts log lines that carry another agent's tag. */
async function leaks(url: string, credential: string): Promise<{ leaks: number; heard: number }> {
  let wrong = 0;
  let heard = 0;
  const agents = await Promise.all(
    Array.from({ length: AGENTS }, async (_, n) => {
      const client = new Client({ name: `agent-${n}`, version: '1' });
      client.setNotificationHandler(LoggingMessageNotificationSchema, (note) => {
        heard += 1;
        if (!String(note.params.data).startsWith(`agent-${n}:`)) wrong += 1;
      });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: `Bearer ${credential}` } },
          fetch: (input, init) => {
            if (init?.signal) setMaxListeners(0, init.signal);
            return fetch(input, init);
          },
        }),
      );
      return client;
    }),
  );
  await Promise.all(
    agents.map((client, n) =>
      Promise.all(
        Array.from({ length: CALLS_PER_AGENT }, (_, i) =>
          client.callTool({ name: 'log', arguments: { tag: `agent-${n}:${i}` } }),
        ),
      ),
    ),
  );
  await Promise.all(agents.map((client) => client.close()));
  return { leaks: wrong, heard };
}

const bench: Bench = {
  name: 'sessions',
  description: `${SESSIONS} agent sessions on one proxy over an HTTP upstream: heap per session, setup vs direct, leaks`,
  async run(log) {
    const [up, { url: upstreamUrl }] = await start('upstream');
    const [proxyProc, { url, credential }] = await start('proxy', { UPSTREAM_URL: upstreamUrl });
    try {
      const authorization = `Bearer ${credential!}`;
      // Setup, alternating so that noise hits both alike.
      const direct: number[] = [];
      const proxied: number[] = [];
      for (let i = 0; i < SETUPS; i++) {
        direct.push(await openSession(upstreamUrl));
        proxied.push(await openSession(url, authorization));
      }
      const ratio = median(proxied) / median(direct);
      log(
        `initialize p50: direct ${fmt(median(direct), 2)} ms, through the proxy ${fmt(median(proxied), 2)} ms (${fmt(ratio, 2)}x)`,
      );

      const before = await ask(proxyProc);
      for (let i = 0; i < SESSIONS; i += 50) {
        await Promise.all(Array.from({ length: 50 }, () => openSession(url, authorization)));
      }
      const after = await ask(proxyProc);
      const perSession = (after.heap - before.heap) / (after.sessions - before.sessions);
      log(
        `${fmt(after.sessions)} sessions open: ${fmt(perSession / 1024, 1)} KiB of proxy heap each (after GC)`,
      );

      const mixed = await leaks(url, credential!);
      log(
        `${AGENTS} agents x ${CALLS_PER_AGENT} calls: ${fmt(mixed.heard)} log lines heard, ${mixed.leaks} at a wrong session`,
      );
      return [
        {
          metric: 'bytes_per_session',
          value: Math.round(perSession),
          unit: 'B',
          target: '< 65536',
        },
        {
          metric: 'session_setup_ratio_vs_direct',
          value: Number(ratio.toFixed(2)),
          unit: 'x',
          target: '<= 1.5',
        },
        { metric: 'cross_session_leaks', value: mixed.leaks, unit: 'messages', target: '0' },
      ];
    } finally {
      proxyProc.kill();
      up.kill();
    }
  },
};

const role = process.env[ROLE];
if (role !== undefined) void child(role);

export default bench;

// The conformance server over Streamable HTTP, as a stateful SDK server would run it: a session
// (and its own McpServer and transport) per `initialize`, resumable SSE streams (an event store,
// a retry interval), `Host` checked against its own address (DNS rebinding), on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

import { allowedHosts, hostAllowed } from '../../src/http/loopbackHosts.js';
import { createConformanceServer } from './conformanceServer.js';

/** A running HTTP conformance upstream. */
export interface ConformanceUpstream {
  /** `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  /** Sessions open now. */
  readonly sessions: () => number;
  readonly stop: () => Promise<void>;
}

const refuse = (res: ServerResponse, status: number, message: string) =>
  res
    .writeHead(status, { 'Content-Type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));

/** Start the conformance server on a free port of 127.0.0.1. */
export async function startConformanceUpstream(): Promise<ConformanceUpstream> {
  const sessions = new Map<string, { mcp: McpServer; transport: StreamableHTTPServerTransport }>();

  const open = async () => {
    const mcp = createConformanceServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new InMemoryEventStore(),
      retryInterval: 500,
      onsessioninitialized: (id) => void sessions.set(id, { mcp, transport }),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    await mcp.connect(transport);
    return { mcp, transport };
  };

  let hosts: ReadonlySet<string> = new Set();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, hosts)) return refuse(res, 403, 'Host not allowed');
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp')
      return refuse(res, 404, 'Not found');
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = sessions.get(id);
      if (!session) return refuse(res, 404, 'Session not found');
      return session.transport.handleRequest(req, res);
    }
    // Without a session id only an `initialize` POST may come; the transport refuses anything
    // else, and a server that opened no session is dropped.
    if (req.method !== 'POST') return refuse(res, 400, 'Mcp-Session-Id header is required');
    const { mcp, transport } = await open();
    await transport.handleRequest(req, res);
    if (transport.sessionId === undefined) await mcp.close();
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, 500, String(error));
      else res.destroy();
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const port = (http.address() as { port: number }).port;
  hosts = allowedHosts('127.0.0.1', port);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sessions: () => sessions.size,
    async stop() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map(({ mcp }) => mcp.close()));
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}

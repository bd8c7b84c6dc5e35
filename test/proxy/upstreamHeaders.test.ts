// Issue 15: an HTTP upstream configured with `headers` (an API key, a tenant, an Authorization
// of another scheme) gets them on every request, and their values are secrets like the token:
// never in what an agent reads, the log or the logger, even when the upstream echoes them.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { createMemoryStore, createTracker } from '../../src/index.js';
import { createProxy, ProxyError } from '../../src/mcp/index.js';
import { MessageSecrets } from '../../src/mcp/proxy/upstream/redact.js';
import { onCleanup, startProxy } from './support.js';

/** Mixed case and digits, and under names no shape rule calls secret: only the literal finds them. */
const WORKSPACE = 'Wk4d8e1c7a90b2f5';
const CREDENTIAL = 'Cf8b2d7e1a6094c3';
const TOKEN = 'Gt3a7c9e2b5d1f08';
const HEADERS = { 'X-Workspace': WORKSPACE, Authorization: `Token ${CREDENTIAL}` };

interface Seen {
  readonly method: string;
  readonly rpc?: string;
  readonly headers: IncomingHttpHeaders;
}

/** What a careless server says back: every header it got, one `name: value` a line. */
const headerLines = (req: IncomingMessage): string =>
  Array.from({ length: req.rawHeaders.length / 2 }, (_, n) => {
    const [name, value] = req.rawHeaders.slice(2 * n, 2 * n + 2);
    return `${name}: ${value}`;
  }).join('\n');

/**
 * A Streamable HTTP upstream on 127.0.0.1 that records the headers of every request and whose
 * tools echo them: in a JSON-RPC error, in a plain-text refusal, and in an isError result (with
 * the credential of its `Authorization`, bare).
 */
async function recordingUpstream() {
  const seen: Seen[] = [];
  let streamOpened!: () => void;
  const opened = new Promise<void>((resolve) => (streamOpened = resolve));
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      seen.push({ method: 'GET', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
      streamOpened();
      return;
    }
    if (req.method === 'DELETE') {
      seen.push({ method: 'DELETE', headers: req.headers });
      return void res.writeHead(200).end();
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rpc = JSON.parse(Buffer.concat(chunks).toString()) as {
        id?: number;
        method: string;
        params?: { name?: string };
      };
      seen.push({ method: 'POST', rpc: rpc.method, headers: req.headers });
      const json = (status: number, value: object) =>
        res
          .writeHead(status, { 'content-type': 'application/json', 'mcp-session-id': 's-1' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, ...value }));
      if (rpc.id === undefined) return void res.writeHead(202).end();
      if (rpc.method === 'initialize') {
        return json(200, {
          result: {
            protocolVersion: '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'recording', version: '1' },
          },
        });
      }
      if (rpc.method === 'tools/list') {
        const names = ['echo_error', 'echo_text', 'echo_result'];
        return json(200, {
          result: { tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })) },
        });
      }
      const credential = (req.headers.authorization ?? '').split(' ')[1];
      switch (rpc.params?.name) {
        case 'echo_error':
          return json(400, {
            error: {
              code: -32600,
              message: `not with these:\n${headerLines(req)}`,
              data: { headers: req.headers, credential },
            },
          });
        case 'echo_text':
          res.writeHead(400, { 'content-type': 'text/plain' }).end(headerLines(req));
          return;
        default:
          return json(200, {
            result: {
              content: [{ type: 'text', text: headerLines(req) }],
              structuredContent: { headers: req.headers, credential },
              isError: true,
            },
          });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onCleanup(() => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    return closed;
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/mcp`, seen, opened };
}

/** Everything an agent, a log reader and an operator could see, as one text. */
const seen = (...parts: unknown[]): string => JSON.stringify(parts);

describe('proxy: an HTTP upstream with configured headers', () => {
  it('sends them on every POST, on the session stream’s GET and on the session’s DELETE', async () => {
    const upstream = await recordingUpstream();
    const h = await startProxy({
      upstream: { url: upstream.url, headers: HEADERS },
      scheduler: new VirtualTimeScheduler(),
    });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo_result', arguments: {} });
    await upstream.opened;
    await h.proxy.close();

    const methods = new Set(upstream.seen.map((request) => request.rpc ?? request.method));
    for (const method of ['initialize', 'tools/list', 'tools/call', 'GET', 'DELETE']) {
      expect(methods).toContain(method);
    }
    for (const request of upstream.seen) {
      expect(request.headers).toMatchObject({
        'x-workspace': WORKSPACE,
        authorization: `Token ${CREDENTIAL}`,
      });
    }
  });

  it('sends the token of getToken as the Authorization, over a configured one', async () => {
    const upstream = await recordingUpstream();
    const h = await startProxy({
      upstream: { url: upstream.url, headers: HEADERS, getToken: () => TOKEN },
      scheduler: new VirtualTimeScheduler(),
    });
    const agent = await h.connect();
    await agent.callTool({ name: 'echo_result', arguments: {} });
    expect(upstream.seen.length).toBeGreaterThan(0);
    for (const request of upstream.seen) {
      expect(request.headers).toMatchObject({
        'x-workspace': WORKSPACE,
        authorization: `Bearer ${TOKEN}`,
      });
    }
  });

  it('masks their values where the upstream echoes them: an error, a refusal, a result, the log', async () => {
    const upstream = await recordingUpstream();
    const warnings: string[] = [];
    const h = await startProxy({
      upstream: { url: upstream.url, headers: HEADERS },
      scheduler: new VirtualTimeScheduler(),
      logger: { warn: (line) => warnings.push(line) },
    });
    const agent = await h.connect();
    const failures = [];
    for (const name of ['echo_error', 'echo_text']) {
      const failure = await agent.callTool({ name, arguments: {} }).catch((e: unknown) => e);
      // The echo is real, and reaches the agent: the header is there, its value masked.
      expect(failure).toMatchObject({
        message: expect.stringMatching(/X-Workspace: ••••••/i) as unknown,
      });
      failures.push({ ...(failure as object) }, String(failure));
    }
    const result = CallToolResultSchema.parse(
      await agent.callTool({ name: 'echo_result', arguments: {} }),
    );
    expect(result.structuredContent).toMatchObject({
      headers: { 'x-workspace': '••••••' },
      credential: '••••••',
    });
    const everything = seen(failures, result, h.events(), h.notices, warnings);
    expect(everything).not.toContain(WORKSPACE);
    expect(everything).not.toContain(CREDENTIAL);
    // Every tools/call went out with them.
    const calls = upstream.seen.filter((request) => request.rpc === 'tools/call');
    expect(calls.map((request) => request.headers['x-workspace'])).toEqual([
      WORKSPACE,
      WORKSPACE,
      WORKSPACE,
    ]);
  });
});

describe('createProxy: upstream.headers it refuses', () => {
  const tracker = createTracker({ store: createMemoryStore() });
  const url = 'http://127.0.0.1:1/mcp';
  const refused = (headers: Record<string, unknown>, upstream: object = { url }) =>
    createProxy({ tracker, upstream: { ...upstream, headers } as never }).then(
      () => expect.unreachable('createProxy accepted the headers'),
      (error: unknown) => error,
    );

  it.each([
    ['Mcp-Session-Id', /MCP protocol/],
    ['mcp-protocol-version', /MCP protocol/],
    ['Host', /sets itself/],
    ['Content-Length', /sets itself/],
    ['content-type', /sets itself/],
    ['Accept', /sets itself/],
    ['Connection', /connection hop/],
    ['Transfer-Encoding', /connection hop/],
  ])('refuses %s, naming it', async (name, why) => {
    const error = await refused({ [name]: 'Sv7e2a1c9d4b8f60' });
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({
      code: 'invalid_option',
      message: expect.stringMatching(why) as unknown,
    });
    expect(String(error)).toContain(`upstream.headers["${name}"]`);
    expect(String(error)).not.toContain('Sv7e2a1c9d4b8f60');
  });

  it('refuses a value that is not a string, or holds a line break, without quoting it', async () => {
    await expect(refused({ 'X-Retries': 3 })).resolves.toMatchObject({
      code: 'invalid_option',
      message: expect.stringMatching(/X-Retries.*must be a string, got a number/) as unknown,
    });
    const error = await refused({ 'X-Key': 'Lb5c0e8a2f7d19b3\r\nX-Evil: 1' });
    expect(error).toMatchObject({
      message: expect.stringMatching(/"X-Key"\] holds a line break/) as unknown,
    });
    expect(String(error)).not.toContain('Lb5c0e8a2f7d19b3');
  });

  it('refuses a name that is no header name, one written twice, and headers on a stdio upstream', async () => {
    await expect(refused({ 'X Key': 'value' })).resolves.toMatchObject({
      message: expect.stringMatching(/"X Key"\] is not an HTTP header name/) as unknown,
    });
    await expect(refused({ 'X-Key': 'a-value', 'x-key': 'b-value' })).resolves.toMatchObject({
      message: expect.stringMatching(/names one header twice \("X-Key" and "x-key"\)/) as unknown,
    });
    await expect(refused({ 'X-Key': 'value' }, { command: 'node' })).resolves.toMatchObject({
      message: expect.stringMatching(/upstream.headers is for an HTTP upstream/) as unknown,
    });
  });
});

describe('MessageSecrets: the secrets it was made with', () => {
  it('keeps masking them however many rotated tokens come after', () => {
    const secrets = new MessageSecrets(['configured-value'], 1);
    for (const token of ['first-token', 'second-token']) secrets.add(token);
    expect(secrets.outOf(['configured-value', 'first-token', 'second-token'])).toEqual([
      '••••••',
      'first-token',
      '••••••',
    ]);
  });
});

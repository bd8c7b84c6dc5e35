// The proxy against the same upstream reached directly and through a bare `http.request`
// forwarding hop, in the same run; and the proxy in front of a stdio upstream.
//
// The servers run in a child process (this file, forked with a role); the SDK clients here.
import { fork, type ChildProcess } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { createTracker } from '../dist/src/index.js';
import { CAPTURE_HEADER, createProxy } from '../dist/src/mcp/index.js';
import { fmt, median, percentile, rotate, type Bench } from './harness.js';

const ROLE = 'TOOLFLIGHT_PROXY_BENCH_ROLE';
const SEQUENTIAL = 600;
const BLOCK = 50;
const CONCURRENCY = 32;
const CONCURRENT_CALLS = 960;
const ROUNDS = 3;

type Target = 'direct' | 'hop' | 'proxy' | 'stdio';
type Endpoints = Record<Target, string> & { readonly secret: string; readonly stdioSecret: string };

const echoTool = { name: 'echo', inputSchema: { type: 'object' as const } };

/** An SDK server with one `echo` tool. */
function echoServer(): Server {
  const server = new Server({ name: 'upstream', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [echoTool] }));
  server.setRequestHandler(CallToolRequestSchema, (req) => ({
    content: [{ type: 'text' as const, text: String(req.params.arguments?.text) }],
  }));
  return server;
}

async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
}

/** The child: the upstream, the bare hop, and the two proxies. */
async function serve(): Promise<void> {
  const direct = await listen(
    createServer((req, res) => {
      const server = echoServer();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.once('close', () => void server.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    }),
  );
  const target = new URL(direct);
  const agent = new Agent({ keepAlive: true });
  const hop = await listen(
    createServer((req, res) => {
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
          agent,
        },
        (upstream) => {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    }),
  );
  const tracker = createTracker();
  tracker.beginCapture('bench');
  const proxy = await createProxy({ tracker, upstream: { url: direct } });
  const stdio = await createProxy({
    tracker,
    upstream: {
      command: process.execPath,
      args: ['--import', 'tsx', fileURLToPath(import.meta.url)],
      env: { [ROLE]: 'stdio' },
    },
  });
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(process.cpuUsage());
  });
  process.on('disconnect', () => process.exit(0));
  const endpoints: Endpoints = {
    direct,
    hop,
    proxy: proxy.url,
    stdio: stdio.url,
    secret: proxy.secret,
    stdioSecret: stdio.secret,
  };
  process.send?.(endpoints);
}

if (process.env[ROLE] === 'server') await serve();
if (process.env[ROLE] === 'stdio') await echoServer().connect(new StdioServerTransport());

async function connect(endpoints: Endpoints, target: Target): Promise<Client> {
  const headers: Record<string, string> = { [CAPTURE_HEADER]: 'bench' };
  if (target === 'proxy') headers.Authorization = `Bearer ${endpoints.secret}`;
  if (target === 'stdio') headers.Authorization = `Bearer ${endpoints.stdioSecret}`;
  const client = new Client({ name: `bench-${target}`, version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(endpoints[target]), {
      requestInit: { headers },
      fetch: (input, init) => {
        if (init?.signal) setMaxListeners(0, init.signal);
        return fetch(input, init);
      },
    }),
  );
  return client;
}

const call = (client: Client, i: number) =>
  client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });

async function concurrentRound(client: Client): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_CALLS) await call(client, next++);
    }),
  );
  return CONCURRENT_CALLS / ((performance.now() - start) / 1000);
}

const proxyBench: Bench = {
  name: 'proxy',
  description: 'tools/call through the proxy vs the upstream directly and a bare http.request hop',
  async run(log) {
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, [ROLE]: 'server' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const [endpoints] = (await once(child, 'message')) as [Endpoints];
      const targets: Target[] = ['direct', 'hop', 'proxy', 'stdio'];
      const clients = new Map<Target, Client>();
      for (const target of targets) clients.set(target, await connect(endpoints, target));
      const client = (target: Target) => clients.get(target)!;
      for (const target of targets) for (let i = 0; i < 200; i++) await call(client(target), i);

      const latencies = new Map<Target, number[]>(targets.map((target) => [target, []]));
      for (let block = 0; block < SEQUENTIAL / BLOCK; block++) {
        for (const target of rotate(targets, block)) {
          for (let i = 0; i < BLOCK; i++) {
            const start = performance.now();
            await call(client(target), i);
            latencies.get(target)!.push((performance.now() - start) * 1000);
          }
        }
      }
      const throughput = new Map<Target, number[]>(targets.map((target) => [target, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of rotate(targets, round)) {
          throughput.get(target)!.push(await concurrentRound(client(target)));
        }
      }
      const p50 = (target: Target) => median(latencies.get(target)!);
      const p99 = (target: Target) => percentile(latencies.get(target)!, 0.99);
      const best = (target: Target) => Math.max(...throughput.get(target)!);
      for (const target of targets) {
        log(
          `${target.padEnd(7)} p50 ${fmt(p50(target))} µs, p99 ${fmt(p99(target))} µs | ${CONCURRENCY} in flight: ${fmt(best(target))} calls/s`,
        );
      }
      const latencyRatio = (p50('proxy') - p50('direct')) / (p50('hop') - p50('direct'));
      const throughputRatio = best('proxy') / best('hop');
      log(
        `proxy adds ${fmt(p50('proxy') - p50('direct'))} µs p50, the bare hop ${fmt(p50('hop') - p50('direct'))} µs: latency ratio ${fmt(latencyRatio, 2)} (target <= 1.5); throughput ratio ${fmt(throughputRatio, 3)} (target >= 0.9)`,
      );
      await Promise.all([...clients.values()].map((c) => c.close()));
      return [
        {
          metric: 'latency_ratio_vs_bare_hop',
          value: Math.round(latencyRatio * 100) / 100,
          unit: 'x',
          target: '<= 1.5',
        },
        {
          metric: 'throughput_ratio_vs_bare_hop',
          value: Math.round(throughputRatio * 1000) / 1000,
          unit: 'x',
          target: '>= 0.9',
        },
      ];
    } finally {
      child.disconnect();
      child.kill();
    }
  },
};

export default proxyBench;

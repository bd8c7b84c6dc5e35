// The proxy against the same upstream reached directly and through a bare `http.request`
// forwarding hop, in the same run; and the proxy in front of a stdio upstream.
//
// The servers run in a child process (this file, forked with a role); the SDK clients here.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { createTracker } from '../dist/src/index.js';
import { createProxy } from '../dist/src/mcp/index.js';
import { fmt, INITIALIZE_REQUEST, median, percentile, rotate, type Bench } from './harness.js';

const ROLE = 'TOOLFLIGHT_PROXY_BENCH_ROLE';
const SEQUENTIAL = 2000;
const CPU_CALLS = 1000;
const BLOCK = 50;
const CONCURRENCY = 32;
const CONCURRENT_CALLS = 960;
const ROUNDS = 5;

type Target = 'direct' | 'hop' | 'proxy' | 'stdio';
/** The endpoints' URLs, and each proxy's agent credential for the capture `bench`. */
type Endpoints = Record<Target, string> & {
  readonly credential: string;
  readonly stdioCredential: string;
};

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
    credential: proxy.credential({ capture: 'bench' }),
    stdioCredential: stdio.credential({ capture: 'bench' }),
  };
  process.send?.(endpoints);
}

if (process.env[ROLE] === 'server') await serve();
if (process.env[ROLE] === 'stdio') await echoServer().connect(new StdioServerTransport());

/** One endpoint as the bench agent calls it: its URL and the headers an agent sends. */
interface AgentTarget {
  readonly url: URL;
  readonly headers: Record<string, string>;
}

function agentOf(endpoints: Endpoints, target: Target): AgentTarget {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
  };
  if (target === 'proxy') headers.authorization = `Bearer ${endpoints.credential}`;
  if (target === 'stdio') headers.authorization = `Bearer ${endpoints.stdioCredential}`;
  return { url: new URL(endpoints[target]), headers };
}

/**
 * The agent in a session of its own where the endpoint has sessions (the proxies): `initialize`
 * once, then its `Mcp-Session-Id` on every call, as an SDK client does.
 */
async function inSession(agent: AgentTarget): Promise<AgentTarget> {
  const post = async (body: unknown, headers: Record<string, string>) => {
    const answer = await fetch(agent.url, { method: 'POST', headers, body: JSON.stringify(body) });
    await answer.text();
    return answer;
  };
  const opened = await post(INITIALIZE_REQUEST, agent.headers);
  const session = opened.headers.get('mcp-session-id');
  if (session === null) return agent;
  const headers = { ...agent.headers, 'mcp-session-id': session };
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  return { url: agent.url, headers };
}

/** Check with the SDK's own client that every endpoint really serves the tool. */
async function checkWithSdk(endpoints: Endpoints, target: Target): Promise<void> {
  const { headers } = agentOf(endpoints, target);
  const client = new Client({ name: `bench-${target}`, version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(endpoints[target]), {
      requestInit: { headers: pick(headers, 'authorization') },
    }),
  );
  const result = await client.callTool({ name: 'echo', arguments: { text: 'check' } });
  if (JSON.stringify(result.content) !== '[{"type":"text","text":"check"}]') {
    throw new Error(`${target} answered ${JSON.stringify(result)}`);
  }
  await client.close();
}

const pick = (headers: Record<string, string>, key: string) =>
  headers[key] === undefined ? {} : { [key]: headers[key] };

// The agent is a lean JSON-RPC client over a keep-alive agent: the SDK client's own CPU (about
// 1 ms a call here) would be most of what is measured, and most of its noise.
const keepAlive = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(agent: AgentTarget, i: number): Promise<void> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: i,
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: `call ${i}` } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      agent.url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: { ...agent.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || !text.includes(`call ${i}`)) {
            reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          } else resolve();
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function concurrentRound(client: AgentTarget): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_CALLS) await call(client, next++);
    }),
  );
  return CONCURRENT_CALLS / ((performance.now() - start) / 1000);
}

/** The server process's CPU time so far, in µs. */
async function childCpu(child: ChildProcess): Promise<number> {
  child.send('cpu');
  const [usage] = (await once(child, 'message')) as [NodeJS.CpuUsage];
  return usage.user + usage.system;
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
      for (const target of targets) await checkWithSdk(endpoints, target);
      const clients = new Map<Target, AgentTarget>();
      for (const target of targets) {
        clients.set(target, await inSession(agentOf(endpoints, target)));
      }
      const client = (target: Target) => clients.get(target)!;
      for (const target of targets) for (let i = 0; i < 200; i++) await call(client(target), i);

      // Latency: the targets take turns call by call (each round in another order), so a slow
      // moment of this shared machine lands on all of them alike.
      const latencies = new Map<Target, number[]>(targets.map((target) => [target, []]));
      for (let round = 0; round < SEQUENTIAL; round++) {
        for (const target of rotate(targets, round)) {
          const start = performance.now();
          await call(client(target), round);
          latencies.get(target)!.push((performance.now() - start) * 1000);
        }
      }
      // The servers' CPU per sequential call, in blocks (reading it costs a message).
      const serverCpu = new Map<Target, number>(targets.map((target) => [target, 0]));
      for (let block = 0; block < CPU_CALLS / BLOCK; block++) {
        for (const target of rotate(targets, block)) {
          const before = await childCpu(child);
          for (let i = 0; i < BLOCK; i++) await call(client(target), i);
          serverCpu.set(target, serverCpu.get(target)! + (await childCpu(child)) - before);
        }
      }
      const cpuPerCall = (target: Target) => serverCpu.get(target)! / CPU_CALLS;
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
      const cpuAdded = (target: Target) => cpuPerCall(target) - cpuPerCall('direct');
      const cpuRatio = cpuAdded('proxy') / cpuAdded('hop');
      // Each round runs the targets back to back: the ratio within a round compares moments
      // alike, and the median over rounds drops a round a burst of other work landed in.
      const throughputRatio = median(
        throughput.get('proxy')!.map((rate, round) => rate / throughput.get('hop')![round]!),
      );
      log(
        `proxy adds ${fmt(p50('proxy') - p50('direct'))} µs p50, the bare hop ${fmt(p50('hop') - p50('direct'))} µs: latency ratio ${fmt(latencyRatio, 2)} (target <= 1.5); throughput ratio ${fmt(throughputRatio, 3)} (target >= 0.9)`,
      );
      log(
        `server CPU per sequential call: direct ${fmt(cpuPerCall('direct'))} µs, the hop adds ${fmt(cpuAdded('hop'))} µs, the proxy ${fmt(cpuAdded('proxy'))} µs (${fmt(cpuRatio, 2)}x); stdio proxy + its upstream ${fmt(cpuPerCall('stdio'))} µs`,
      );
      return [
        {
          metric: 'cpu_ratio_vs_bare_hop',
          value: Math.round(cpuRatio * 100) / 100,
          unit: 'x',
          target: '',
        },
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
      keepAlive.destroy();
      child.disconnect();
      child.kill();
    }
  },
};

export default proxyBench;

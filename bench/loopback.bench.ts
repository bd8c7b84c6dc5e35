// The loopback server against the same SDK server without toolflight, in the same run.
//
// The servers run in a child process (this file, forked with a role), the SDK clients here: so
// the server's CPU per call is measured on its own, apart from the client's (which costs more).
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once, setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { createTracker } from '../dist/src/index.js';
import { createLoopbackServer, type LoopbackTool } from '../dist/src/mcp/index.js';
import { fmt, median, percentile, rotate, type Bench } from './harness.js';

const ROLE = 'TOOLFLIGHT_LOOPBACK_BENCH_ROLE';
const SEQUENTIAL = 1000;
const BLOCK = 50;
const CONCURRENCY = 32;
const CONCURRENT_CALLS = 1600;
const ROUNDS = 5;

type Target = 'untracked' | 'loopback' | 'tracked';
interface Endpoints {
  readonly untracked: string;
  readonly loopback: string;
  /** The credential of the live capture `bench`. */
  readonly tracked: string;
  /** The credential of a capture never begun, served untracked: the checks alone. */
  readonly unbegun: string;
}

const echo: LoopbackTool = {
  name: 'echo',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  run: (args) => ({ content: [{ type: 'text', text: String(args.text) }] }),
};

/**
 * The child: the plain SDK server, stateful as the loopback server is (a server and transport
 * per session, JSON answers), and the loopback.
 */
async function serve(): Promise<void> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const open = async (): Promise<StreamableHTTPServerTransport> => {
    const server = new Server({ name: 'plain', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [echo] }));
    server.setRequestHandler(CallToolRequestSchema, (request) =>
      echo.run(request.params.arguments ?? {}, undefined as never),
    );
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    await server.connect(transport);
    return transport;
  };
  const plain = createServer((req, res) => {
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    void (known ? Promise.resolve(known) : open()).then((transport) =>
      transport.handleRequest(req, res),
    );
  });
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  const tracker = createTracker();
  tracker.beginCapture('bench');
  const loopback = await createLoopbackServer({ tracker, tools: [echo], untracked: 'serve' });
  const port = (plain.address() as { port: number }).port;
  const endpoints: Endpoints = {
    untracked: `http://127.0.0.1:${port}/mcp`,
    loopback: loopback.url,
    tracked: loopback.credential({ capture: 'bench', owner: true }),
    unbegun: loopback.credential({ capture: 'not-begun', owner: true }),
  };
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(process.cpuUsage());
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.(endpoints);
}

if (process.env[ROLE] === 'server') await serve();

/** Ask the server process for its CPU time so far, in µs. */
async function serverCpu(child: ChildProcess): Promise<number> {
  const reply = once(child, 'message');
  child.send('cpu');
  const [usage] = (await reply) as [NodeJS.CpuUsage];
  return usage.user + usage.system;
}

async function connect(endpoints: Endpoints, target: Target): Promise<Client> {
  const headers: Record<string, string> = {};
  if (target === 'loopback') headers.Authorization = `Bearer ${endpoints.unbegun}`;
  if (target === 'tracked') headers.Authorization = `Bearer ${endpoints.tracked}`;
  const url = target === 'untracked' ? endpoints.untracked : endpoints.loopback;
  const client = new Client({ name: `bench-${target}`, version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers },
      // One signal for every fetch, a listener per request until GC: lift its limit.
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

/** Calls per second of server CPU (and of wall time) with 32 calls in flight. */
async function concurrentRound(child: ChildProcess, client: Client) {
  let next = 0;
  const cpuBefore = await serverCpu(child);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_CALLS) await call(client, next++);
    }),
  );
  const wallSeconds = (performance.now() - start) / 1000;
  const cpuSeconds = ((await serverCpu(child)) - cpuBefore) / 1e6;
  return {
    perCpuSecond: CONCURRENT_CALLS / cpuSeconds,
    perWallSecond: CONCURRENT_CALLS / wallSeconds,
  };
}

const loopback: Bench = {
  name: 'loopback',
  description:
    'tools/call through the tracked loopback server vs the same SDK server without toolflight, both with a session per client',
  async run(log) {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, [ROLE]: 'server' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const [endpoints] = (await once(child, 'message')) as [Endpoints];
      const targets: Target[] = ['untracked', 'loopback', 'tracked'];
      const clients = new Map<Target, Client>();
      for (const target of targets) clients.set(target, await connect(endpoints, target));
      const client = (target: Target) => clients.get(target)!;
      for (const target of targets) for (let i = 0; i < 300; i++) await call(client(target), i);

      // Sequential round trips in short blocks, the targets' order rotating, so that machine
      // noise hits every target alike; the server's CPU is read around each block.
      const latencies = new Map<Target, number[]>(targets.map((target) => [target, []]));
      const cpuPerCall = new Map<Target, number[]>(targets.map((target) => [target, []]));
      for (let block = 0; block < SEQUENTIAL / BLOCK; block++) {
        for (const target of rotate(targets, block)) {
          const cpuBefore = await serverCpu(child);
          for (let i = 0; i < BLOCK; i++) {
            const start = performance.now();
            await call(client(target), i);
            latencies.get(target)!.push((performance.now() - start) * 1000);
          }
          cpuPerCall.get(target)!.push(((await serverCpu(child)) - cpuBefore) / BLOCK);
        }
      }
      const p50 = (target: Target) => median(latencies.get(target)!);
      const p99 = (target: Target) => percentile(latencies.get(target)!, 0.99);
      const cpu = (target: Target) => median(cpuPerCall.get(target)!);

      const rounds = new Map<Target, { perCpuSecond: number; perWallSecond: number }[]>(
        targets.map((target) => [target, []]),
      );
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of rotate(targets, round)) {
          rounds.get(target)!.push(await concurrentRound(child, client(target)));
        }
      }
      // Best of the rounds: noise on a shared machine only ever adds time.
      const best = (target: Target) => ({
        cpu: Math.max(...rounds.get(target)!.map((r) => r.perCpuSecond)),
        wall: Math.max(...rounds.get(target)!.map((r) => r.perWallSecond)),
      });
      const names: Record<Target, string> = {
        untracked: 'SDK server, no toolflight     ',
        loopback: 'loopback, untracked (checks)  ',
        tracked: 'loopback, tracked capture     ',
      };
      for (const target of targets) {
        log(
          `${names[target]} sequential p50 ${fmt(p50(target))} µs, p99 ${fmt(p99(target))} µs, server CPU ${fmt(cpu(target))} µs/call | ${CONCURRENCY} in flight: ${fmt(best(target).cpu)} calls per server CPU s, ${fmt(best(target).wall)} calls/s wall`,
        );
      }
      const ratio = best('tracked').cpu / best('untracked').cpu;
      const wallRatio = best('tracked').wall / best('untracked').wall;
      const added = p50('tracked') - p50('untracked');
      log(
        `throughput ratio ${fmt(ratio, 3)} (server CPU; wall ${fmt(wallRatio, 3)}; target >= 0.95)  p50 added ${fmt(added)} µs (target < 50)`,
      );
      log(
        `tracking alone (tracked vs untracked, same loopback server): throughput ratio ${fmt(best('tracked').cpu / best('loopback').cpu, 3)}, p50 ${fmt(p50('tracked') - p50('loopback'))} µs, server CPU ${fmt(cpu('tracked') - cpu('loopback'))} µs/call`,
      );
      await Promise.all([...clients.values()].map((c) => c.close()));
      return [
        {
          metric: 'throughput_ratio_vs_untracked',
          value: Math.round(ratio * 1000) / 1000,
          unit: 'x',
          target: '>= 0.95',
        },
        { metric: 'p50_added_us', value: Math.round(added), unit: 'µs', target: '< 50' },
      ];
    } finally {
      child.disconnect();
      child.kill();
    }
  },
};

export default loopback;

// The gateway against the proxy, in the same run: a `tools/call` through a gateway of 10 servers
// vs the proxy in front of one of them (the same upstream server both times); a `tools/list`
// through a gateway of 20 servers x 50 tools; and the inventory over a log of 100k events.
//
// The upstreams run in one child process, the proxy and the gateways in another (both this
// file, forked with a role); the agent is here, and so is the inventory, which needs no server.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request, type Server as HttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

import {
  createMemoryStore,
  createTracker,
  emptyInventory,
  foldInventory,
  inventoryOf,
  type InventoryState,
  type ToolflightEvent,
  type Tracker,
} from '../dist/src/index.js';
import { createGateway, createProxy } from '../dist/src/mcp/index.js';
import { fmt, INITIALIZE_REQUEST, median, percentile, rotate, type Bench } from './harness.js';

const ROLE = 'TOOLFLIGHT_GATEWAY_BENCH_ROLE';
/** Servers behind the gateway the calls go through; the calls go to the first. */
const CALL_SERVERS = 10;
/** Servers (and tools each) behind the gateway the lists go through. */
const LIST_SERVERS = 20;
const LIST_TOOLS = 50;
const LATENCY_ROUNDS = 15;
const CALLS_PER_ROUND = 200;
const CPU_BLOCKS = 10;
const BLOCK = 50;
const LIST_ROUNDS = 8;
const LISTS_PER_ROUND = 12;
const LOG_EVENTS = 100_000;
const FOLDS = 7;
const READS = 500;

/** What the upstreams child reports: the echo servers' and the catalog servers' URLs. */
interface Upstreams {
  readonly echo: readonly string[];
  readonly catalog: readonly string[];
}

/** What the fronts child reports: each front's URL and an agent credential for `bench`. */
interface Fronts {
  readonly proxy: { readonly url: string; readonly credential: string };
  readonly gateway: { readonly url: string; readonly credential: string };
  readonly lists: { readonly url: string; readonly credential: string };
}

/** Fifty tools as a real server lists them: a description and an input schema each. */
const catalogTools = (server: number): Tool[] =>
  Array.from({ length: LIST_TOOLS }, (_, i) => ({
    name: `tool_${i}`,
    description: `Tool ${i} of server ${server}: looks up a record by id and returns its fields, or an error when there is none.`,
    inputSchema: {
      type: 'object' as const,
      properties: {
        id: { type: 'string', description: 'The record id' },
        fields: { type: 'array', items: { type: 'string' }, description: 'Fields to return' },
        limit: { type: 'number', minimum: 1, maximum: 100 },
      },
      required: ['id'],
    },
  }));

const echoTools: Tool[] = [{ name: 'echo', inputSchema: { type: 'object' } }];

/** An SDK server with `tools`; a call echoes its `text` argument. */
function sdkServer(tools: readonly Tool[]): Server {
  const server = new Server({ name: 'upstream', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...tools] }));
  server.setRequestHandler(CallToolRequestSchema, (req) => ({
    content: [{ type: 'text' as const, text: String(req.params.arguments?.text) }],
  }));
  return server;
}

async function listen(server: HttpServer): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
}

/** A stateless Streamable HTTP upstream, as the proxy bench's: an SDK server per request. */
const upstream = (tools: readonly Tool[]): Promise<string> =>
  listen(
    createServer((req, res) => {
      const server = sdkServer(tools);
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.once('close', () => void server.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    }),
  );

/** The upstreams child: every server either front (or the agent) talks to. */
async function serveUpstreams(): Promise<void> {
  const echo: string[] = [];
  for (let i = 0; i < CALL_SERVERS; i++) echo.push(await upstream(echoTools));
  const catalog: string[] = [];
  for (let i = 0; i < LIST_SERVERS; i++) catalog.push(await upstream(catalogTools(i)));
  process.on('disconnect', () => process.exit(0));
  process.send?.({ echo, catalog } satisfies Upstreams);
}

/** A tracker of its own per front, so no front folds or stores another's events. */
function trackerOf(): Tracker {
  const tracker = createTracker();
  tracker.beginCapture('bench');
  return tracker;
}

/** The fronts child: the proxy, the gateway of 10 echo servers, the gateway of 20 catalogs. */
async function serveFronts(upstreams: Upstreams): Promise<void> {
  const proxy = await createProxy({ tracker: trackerOf(), upstream: { url: upstreams.echo[0]! } });
  const gateway = await createGateway({
    tracker: trackerOf(),
    servers: Object.fromEntries(upstreams.echo.map((url, i) => [`s${i}`, { url }])),
  });
  const lists = await createGateway({
    tracker: trackerOf(),
    servers: Object.fromEntries(upstreams.catalog.map((url, i) => [`c${i}`, { url }])),
  });
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(process.cpuUsage());
    if (message === 'close') {
      void Promise.all([proxy.close(), gateway.close(), lists.close()]).then(() =>
        process.send?.('closed'),
      );
    }
  });
  process.on('disconnect', () => process.exit(0));
  const front = (f: { url: string; credential(o: { capture: string }): string }) => ({
    url: f.url,
    credential: f.credential({ capture: 'bench' }),
  });
  process.send?.({
    proxy: front(proxy),
    gateway: front(gateway),
    lists: front(lists),
  } satisfies Fronts);
}

if (process.env[ROLE] === 'upstreams') await serveUpstreams();
if (process.env[ROLE] === 'fronts') {
  await serveFronts(JSON.parse(process.env.TOOLFLIGHT_GATEWAY_BENCH_UPSTREAMS!) as Upstreams);
}

/** One endpoint as the agent calls it: its URL and the headers it sends. */
interface AgentTarget {
  readonly url: URL;
  readonly headers: Record<string, string>;
}

function targetOf(url: string, credential?: string): AgentTarget {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
  };
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  return { url: new URL(url), headers };
}

/** `initialize` once, then the session's `Mcp-Session-Id` on every request, as an SDK client. */
async function inSession(target: AgentTarget): Promise<AgentTarget> {
  const post = async (body: unknown, headers: Record<string, string>) => {
    const answer = await fetch(target.url, { method: 'POST', headers, body: JSON.stringify(body) });
    await answer.text();
    return answer;
  };
  const opened = await post(INITIALIZE_REQUEST, target.headers);
  const session = opened.headers.get('mcp-session-id');
  if (session === null) throw new Error(`${target.url.href} opened no session`);
  const headers = { ...target.headers, 'mcp-session-id': session };
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  return { url: target.url, headers };
}

/** Check with the SDK's own client that a front really serves the tool under `name`. */
async function checkWithSdk(url: string, credential: string, name: string): Promise<void> {
  const client = new Client({ name: 'bench-check', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${credential}` } },
    }),
  );
  const result = await client.callTool({ name, arguments: { text: 'check' } });
  if (JSON.stringify(result.content) !== '[{"type":"text","text":"check"}]') {
    throw new Error(`${url} answered ${JSON.stringify(result)}`);
  }
  await client.close();
}

// The agent is the proxy bench's: a lean JSON-RPC client over a keep-alive agent (the SDK
// client's own CPU would be most of what is measured, and most of its noise).
const keepAlive = new Agent({ keepAlive: true, maxSockets: 32 });

/** POST one JSON-RPC request; resolves with the answer's text (HTTP 200 only). */
function post(target: AgentTarget, message: unknown): Promise<string> {
  const body = JSON.stringify(message);
  return new Promise((resolve, reject) => {
    const req = request(
      target.url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: { ...target.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text}`));
          else resolve(text);
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function call(target: AgentTarget, tool: string, i: number): Promise<void> {
  const text = await post(target, {
    jsonrpc: '2.0',
    id: i,
    method: 'tools/call',
    params: { name: tool, arguments: { text: `call ${i}` } },
  });
  if (!text.includes(`call ${i}`)) throw new Error(`${tool} answered ${text.slice(0, 300)}`);
}

async function list(target: AgentTarget, tools: number, i: number): Promise<void> {
  const text = await post(target, { jsonrpc: '2.0', id: i, method: 'tools/list' });
  const listed = (JSON.parse(text) as { result?: { tools?: unknown[] } }).result?.tools?.length;
  if (listed !== tools)
    throw new Error(`listed ${listed} tools, not ${tools}: ${text.slice(0, 300)}`);
}

/** The fronts process's CPU time so far, in µs. */
async function childCpu(child: ChildProcess): Promise<number> {
  child.send('cpu');
  const [usage] = (await once(child, 'message')) as [NodeJS.CpuUsage];
  return usage.user + usage.system;
}

function start(role: string, env: Record<string, string> = {}): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [ROLE]: role, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Microseconds `body` takes, by the wall clock. */
async function timed(body: () => Promise<void>): Promise<number> {
  const began = performance.now();
  await body();
  return (performance.now() - began) * 1000;
}

/**
 * A gateway's log of about 100k events: its configuration of 20 servers, each connecting, up and
 * listed (50 tools), then agents' tool calls (7 events each, over 20 captures) with a server
 * going down, coming back and listing again every 5,000 events.
 */
function gatewayLog(): ToolflightEvent[] {
  const store = createMemoryStore();
  const tracker = createTracker({ store });
  const names = Array.from({ length: LIST_SERVERS }, (_, i) => `c${i}`);
  const config = (name: string) => `cfg-${name}`;
  tracker.note('gateway.configured', {
    servers: names.map((name) => ({ name, config: config(name), transport: 'http' as const })),
  });
  const listed = (server: number) =>
    tracker.note('catalog.listed', {
      server: names[server]!,
      tools: catalogTools(server),
      fingerprint: `fp-${server}`,
      config: config(names[server]!),
    });
  names.forEach((server, i) => {
    tracker.note('upstream.changed', { server, state: 'connecting' });
    tracker.note('upstream.changed', { server, state: 'up' });
    listed(i);
  });
  for (let c = 0; c < 20; c++) tracker.beginCapture(`run-${c}`);
  let flaps = 0;
  for (let i = 0; store.lastSeq() < LOG_EVENTS - 7; i++) {
    const server = i % LIST_SERVERS;
    const request = tracker.requestStarted(`run-${i % 20}`);
    tracker.requestClassified(request, { method: 'tools/call' });
    const args = { id: `r-${i}` };
    const toolCall = tracker.toolCallStarted({
      request,
      toolName: `c${server}__tool_${i % 50}`,
      args,
    });
    tracker.toolCallPrepared(toolCall, { args });
    tracker.toolCallResult(toolCall, { outcome: 'completed', isError: false, result: { ok: i } });
    tracker.toolCallFinished(toolCall);
    tracker.requestFinished(request, { status: 200 });
    if (store.lastSeq() > (flaps + 1) * 5_000) {
      const flapped = flaps++ % LIST_SERVERS;
      tracker.note('upstream.changed', {
        server: names[flapped]!,
        state: 'down',
        reason: 'ECONNREFUSED',
        retryInMs: 500,
      });
      tracker.note('upstream.changed', { server: names[flapped]!, state: 'up' });
      listed(flapped);
    }
  }
  return store.events();
}

/** Fold `events` from empty; returns the state and the ms it took. */
function fold(events: readonly ToolflightEvent[]): [InventoryState, number] {
  const began = performance.now();
  let state = emptyInventory();
  for (const event of events) state = foldInventory(state, event);
  return [state, performance.now() - began];
}

const gatewayBench: Bench = {
  name: 'gateway',
  description:
    'tools/call through a gateway of 10 servers vs the proxy over one; tools/list of 20x50; the inventory over 100k events',
  async run(log) {
    const upstreamsProc = start('upstreams');
    let frontsProc: ChildProcess | undefined;
    try {
      const [upstreams] = (await once(upstreamsProc, 'message')) as [Upstreams];
      frontsProc = start('fronts', {
        TOOLFLIGHT_GATEWAY_BENCH_UPSTREAMS: JSON.stringify(upstreams),
      });
      const fronts = frontsProc;
      const [ends] = (await once(fronts, 'message')) as [Fronts];
      await checkWithSdk(ends.proxy.url, ends.proxy.credential, 'echo');
      await checkWithSdk(ends.gateway.url, ends.gateway.credential, 's0__echo');

      // Warm: sessions open, every server listed through them, a few hundred calls each.
      const proxy = await inSession(targetOf(ends.proxy.url, ends.proxy.credential));
      const gateway = await inSession(targetOf(ends.gateway.url, ends.gateway.credential));
      const lists = await inSession(targetOf(ends.lists.url, ends.lists.credential));
      await list(proxy, 1, 0);
      await list(gateway, CALL_SERVERS, 0);
      for (let i = 0; i < 300; i++) {
        await call(proxy, 'echo', i);
        await call(gateway, 's0__echo', i);
      }

      // Latency: the two take turns call by call (each round's p50 from moments alike), and
      // the median of the rounds' ratios drops a round a burst of other work landed in.
      type Side = 'proxy' | 'gateway';
      const sides: Side[] = ['proxy', 'gateway'];
      const callOf = (side: Side, i: number) =>
        side === 'proxy' ? call(proxy, 'echo', i) : call(gateway, 's0__echo', i);
      const all = new Map<Side, number[]>(sides.map((side) => [side, []]));
      const ratios: number[] = [];
      for (let round = 0; round < LATENCY_ROUNDS; round++) {
        const took = new Map<Side, number[]>(sides.map((side) => [side, []]));
        for (let i = 0; i < CALLS_PER_ROUND; i++) {
          for (const side of rotate(sides, i + round)) {
            took.get(side)!.push(await timed(() => callOf(side, i)));
          }
        }
        for (const side of sides) all.get(side)!.push(...took.get(side)!);
        ratios.push(median(took.get('gateway')!) / median(took.get('proxy')!));
      }
      const latencyRatio = median(ratios);
      const p50 = (side: Side) => median(all.get(side)!);
      const p99 = (side: Side) => percentile(all.get(side)!, 0.99);

      // The fronts process's CPU per sequential call, in blocks (reading it costs a message).
      const cpu = new Map<Side, number>(sides.map((side) => [side, 0]));
      for (let block = 0; block < CPU_BLOCKS; block++) {
        for (const side of rotate(sides, block)) {
          const before = await childCpu(fronts);
          for (let i = 0; i < BLOCK; i++) await callOf(side, i);
          cpu.set(side, cpu.get(side)! + (await childCpu(fronts)) - before);
        }
      }
      const cpuPerCall = (side: Side) => cpu.get(side)! / (CPU_BLOCKS * BLOCK);
      for (const side of sides) {
        log(
          `tools/call ${side.padEnd(7)} p50 ${fmt(p50(side))} µs, p99 ${fmt(p99(side))} µs, front CPU ${fmt(cpuPerCall(side))} µs a call`,
        );
      }
      log(
        `gateway (${CALL_SERVERS} servers) / proxy (1), p50, median of ${LATENCY_ROUNDS} rounds: ${fmt(latencyRatio, 3)} (rounds ${fmt(Math.min(...ratios), 3)}..${fmt(Math.max(...ratios), 3)}; target <= 1.1)`,
      );

      // tools/list of 20 x 50 through the gateway, every catalog listed once before; beside it
      // (for scale, not a target) the agent listing the 20 upstreams itself, all at once.
      const total = LIST_SERVERS * LIST_TOOLS;
      const direct = upstreams.catalog.map((url) => targetOf(url));
      const fanOut = async (i: number): Promise<void> => {
        await Promise.all(direct.map((d) => list(d, LIST_TOOLS, i)));
      };
      for (let i = 0; i < 20; i++) {
        await list(lists, total, i);
        await fanOut(i);
      }
      const listed: number[] = [];
      const fannedOut: number[] = [];
      for (let round = 0; round < LIST_ROUNDS; round++) {
        for (let i = 0; i < LISTS_PER_ROUND; i++) {
          if ((i + round) % 2 === 0) {
            listed.push(await timed(() => list(lists, total, i)));
            fannedOut.push(await timed(() => fanOut(i)));
          } else {
            fannedOut.push(await timed(() => fanOut(i)));
            listed.push(await timed(() => list(lists, total, i)));
          }
        }
      }
      const listMs = median(listed) / 1000;
      log(
        `tools/list ${LIST_SERVERS}x${LIST_TOOLS} through the gateway p50 ${fmt(listMs, 2)} ms, p99 ${fmt(percentile(listed, 0.99) / 1000, 2)} ms; the agent listing the ${LIST_SERVERS} upstreams directly at once p50 ${fmt(median(fannedOut) / 1000, 2)} ms`,
      );

      // The inventory: a cold fold of the whole log (what reading a recording pays), and one
      // read of the folded state (what `gateway.inventory()` pays).
      const events = gatewayLog();
      const folds: number[] = [];
      let state = emptyInventory();
      for (let i = 0; i < FOLDS; i++) {
        const [folded, ms] = fold(events);
        folds.push(ms);
        state = folded;
      }
      const foldMs = median(folds);
      const at = (state.at ?? 0) + 60_000;
      const read = () => inventoryOf(state, { at, capture: 'run-0' });
      if (read().tools.length !== total) throw new Error('the inventory lost tools');
      for (let i = 0; i < 50; i++) read();
      const reads: number[] = [];
      for (let i = 0; i < READS; i++) {
        const began = performance.now();
        read();
        reads.push((performance.now() - began) * 1000);
      }
      const inventoryUs = median(reads);
      log(
        `inventory over ${fmt(events.length)} events (${LIST_SERVERS} servers x ${LIST_TOOLS} tools): cold fold p50 ${fmt(foldMs, 1)} ms (first ${fmt(folds[0]!, 1)} ms), a read p50 ${fmt(inventoryUs)} µs, p99 ${fmt(percentile(reads, 0.99))} µs`,
      );

      fronts.send('close');
      await once(fronts, 'message');
      return [
        {
          metric: 'latency_ratio_vs_proxy',
          value: Math.round(latencyRatio * 1000) / 1000,
          unit: 'x',
          target: '<= 1.1',
        },
        {
          metric: 'list_ms_20x50',
          value: Math.round(listMs * 100) / 100,
          unit: 'ms',
          target: 'report',
        },
        { metric: 'inventory_us', value: Math.round(inventoryUs), unit: 'µs', target: 'report' },
        {
          metric: 'inventory_fold_ms',
          value: Math.round(foldMs * 10) / 10,
          unit: 'ms',
          target: 'report',
        },
      ];
    } finally {
      keepAlive.destroy();
      // Disconnected, a child exits by itself (writing its --cpu-prof); one that does not, is killed.
      await Promise.all(
        [frontsProc, upstreamsProc].map(async (proc) => {
          if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
          const exited = once(proc, 'exit');
          if (proc.connected) proc.disconnect();
          const timer = setTimeout(() => proc.kill(), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    }
  },
};

export default gatewayBench;

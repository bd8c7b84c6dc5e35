// The server CPU that tracking plus span export adds per `tools/call`, against OpenLLMetry's MCP
// instrumentation (`@traceloop/instrumentation-mcp`), on the same SDK server in the same run.
//
// Every arm is a child process of its own (this file, forked with a role): the instrumentation
// patches the SDK's `Server` class for the whole process and a projection follows its tracker,
// so no arm may run under another's hooks. In each child the same `McpServer` with one tool is
// driven over the SDK's `InMemoryTransport` by a lean JSON-RPC driver: messages pass as objects,
// with no socket, HTTP or JSON on the path, so the few µs an arm adds are not buried under an
// HTTP server's own CPU per call and its noise (the loopback and proxy benches use real HTTP
// because there the transport is what they measure). The driver costs every arm the same and
// drops out of the overhead. Each child reads its own CPU around a block of sequential calls
// and the flush of their spans, so the message that asks for a block is not measured.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  LATEST_PROTOCOL_VERSION,
  type CallToolResult,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { McpInstrumentation } from '@traceloop/instrumentation-mcp';
import { z } from 'zod';

import { createTracker, type RequestHandle, type Tracker } from '../dist/src/index.js';
import { logIds, otelProjection } from '../dist/src/otel/index.js';
import { newSpanId, newTraceId } from '../dist/src/mcp/endpoint/spanIds.js';
import { fmt, median, rotate, type Bench } from './harness.js';

const ROLE = 'TOOLFLIGHT_OTEL_BENCH_ROLE';
const WARMUP = 3000;
// About one young-generation collection per 700 calls: a block holds more than one, so that
// the median of blocks does not leave the collections out.
const BLOCK = 1000;
const ROUNDS = 21;

const ARMS = ['bare', 'traceloop', 'traceloopSpans', 'tracked', 'projected'] as const;
type Arm = (typeof ARMS)[number];

const NAMES: Record<Arm, string> = {
  bare: 'SDK server, nothing else                 ',
  traceloop: 'traceloop instrumentation (its README)   ',
  traceloopSpans: "traceloop's span code on incoming calls  ",
  tracked: 'toolflight tracking, no projection       ',
  projected: 'toolflight tracking + otelProjection     ',
};

/** What a child answers for one block: its CPU over the block and the spans it exported. */
interface BlockReport {
  readonly cpuUs: number;
  readonly spans: number;
}

const echo = ({ text }: { text: string }): CallToolResult => ({
  content: [{ type: 'text', text }],
});

/** The tool's input schema, as `McpServer` takes it (the SDK validates every call with it). */
const ECHO_INPUT = { text: z.string() };

/**
 * The server's end of the pair, tracked the way toolflight's endpoints track an agent's request:
 * admitted and classified (method, JSON-RPC id, tool) as the message arrives, finished (with
 * its JSON-RPC error, if any) as the answer goes out. `requests` lets the tool find its request.
 * Messages are told apart by their keys, not the SDK's `isJSONRPC…` guards: those are zod
 * parses (3 to 4 µs a message, see `src/mcp/endpoint/rpcShape.ts`) that no endpoint of ours
 * runs, and the SDK has checked the agent's message on this path already.
 */
function trackedTransport(
  inner: InMemoryTransport,
  tracker: Tracker,
  requests: Map<RequestId, RequestHandle>,
): Transport {
  const transport: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (message, options) => {
      const sent = inner.send(message, options);
      const id = 'method' in message ? undefined : message.id;
      const request = id === undefined ? undefined : requests.get(id);
      if (request !== undefined) {
        requests.delete(id!);
        tracker.requestFinished(request, 'error' in message ? { error: message.error } : {});
      }
      return sent;
    },
  };
  inner.onmessage = (message, extra) => {
    if ('method' in message && 'id' in message) {
      const request = tracker.requestStarted('bench');
      const name = message.method === 'tools/call' ? message.params?.name : undefined;
      // What an endpoint of ours records (rpcFacts): the id, the target and the span's ids,
      // drawn as the endpoints draw them; the projection then derives no id.
      tracker.requestClassified(request, {
        method: message.method,
        rpc: {
          id: message.id,
          ...(typeof name === 'string' && { target: name }),
          trace: { traceId: newTraceId(), spanId: newSpanId() },
        },
      });
      if (request !== undefined) requests.set(message.id, request);
    }
    transport.onmessage?.(message, extra);
  };
  inner.onclose = () => transport.onclose?.();
  inner.onerror = (error) => transport.onerror?.(error);
  return transport;
}

/** The same `McpServer` for every arm; the tracked arms record the call around the tool. */
async function serve(arm: Arm): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const processor = new BatchSpanProcessor(exporter);
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [processor],
    ...(arm === 'projected' ? { idGenerator: logIds } : {}),
  });
  if (arm === 'traceloop') {
    const instrumentation = new McpInstrumentation();
    registerInstrumentations({ instrumentations: [instrumentation], tracerProvider });
    // This file is ESM: the require hook registerInstrumentations installs never sees the SDK,
    // so patch the class as the instrumentation's own docs say to for ESM.
    instrumentation.manuallyInstrument({ Server });
  }

  const server = new McpServer({ name: 'bench', version: '1' });
  const tracker = createTracker();
  tracker.beginCapture('bench');
  const requests = new Map<RequestId, RequestHandle>();
  const tracked = arm === 'tracked' || arm === 'projected';
  server.registerTool('echo', { inputSchema: ECHO_INPUT }, (args, extra) => {
    if (!tracked) return echo(args);
    const call = tracker.toolCallStarted({
      request: requests.get(extra.requestId),
      toolName: 'echo',
      args,
    });
    tracker.toolCallPrepared(call, { args });
    const result = echo(args);
    tracker.toolCallResult(call, { outcome: 'completed', isError: false, result });
    tracker.toolCallFinished(call);
    return result;
  });
  if (arm === 'traceloopSpans') wrapIncomingCalls(server, tracerProvider);
  const projection =
    arm === 'projected' ? otelProjection({ source: tracker, tracerProvider }) : undefined;

  const [agentEnd, serverEnd] = InMemoryTransport.createLinkedPair();
  await server.connect(tracked ? trackedTransport(serverEnd, tracker, requests) : serverEnd);
  const rpc = driver(agentEnd);
  await agentEnd.start();
  await rpc('initialize', {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'bench-agent', version: '1' },
  });
  await agentEnd.send({ jsonrpc: '2.0', method: 'notifications/initialized' });

  let calls = 0;
  const block = async (count: number): Promise<BlockReport> => {
    const start = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const text = `call ${calls++}`;
      const answer = await rpc('tools/call', { name: 'echo', arguments: { text } });
      const result = (answer as { result?: CallToolResult }).result;
      if (result?.content[0]?.type !== 'text' || result.content[0].text !== text) {
        throw new Error(`${arm} answered ${JSON.stringify(answer)}`);
      }
      // A turn of the event loop per call, as a server over a socket takes: the batch
      // processor's exports (and their timers) run as they would, not all in one go, and its
      // queue (2,048 spans) is not overrun by a block that never yields.
      await new Promise(setImmediate);
    }
    // Inside the measured window: exporting what the block made is part of its cost.
    await tracerProvider.forceFlush();
    const used = process.cpuUsage(start);
    const spans = exporter.getFinishedSpans().length;
    exporter.reset();
    if (tracked && (tracker.capture('bench')?.inFlight !== 0 || requests.size !== 0)) {
      throw new Error(`${arm}: calls still in flight after the block`);
    }
    return { cpuUs: used.user + used.system, spans };
  };
  await block(WARMUP);

  process.on('message', (message: { block: number }) => {
    void block(message.block).then((report) => process.send?.(report));
  });
  process.on('disconnect', () => {
    projection?.close();
    process.exit(0);
  });
  process.send?.('ready');
}

/**
 * The span traceloop's wrapper makes (its `_wrapRequest`, private), put on the server's handler
 * of incoming `tools/call`, which the instrumentation itself never wraps: it patches
 * `Server.prototype.request`, the server's requests to its client (sampling, elicitation,
 * roots, ping). Content off (`traceContent: false`), as toolflight records none by default.
 */
function wrapIncomingCalls(server: McpServer, tracerProvider: BasicTracerProvider): void {
  type Handler = (...args: unknown[]) => unknown;
  const instrumentation = new McpInstrumentation({ traceContent: false });
  instrumentation.setTracerProvider(tracerProvider);
  const wrapRequest = (
    instrumentation as unknown as { _wrapRequest(side: 'server', fn: Handler): Handler }
  )._wrapRequest.bind(instrumentation);
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, Handler> })
    ._requestHandlers;
  const original = handlers.get('tools/call');
  if (original === undefined) throw new Error('the SDK server has no tools/call handler');
  // Bound to the server as when it wraps `Server.prototype.request`: it reads its session there.
  const wrapped = wrapRequest('server', original);
  handlers.set('tools/call', (...args) => wrapped.apply(server.server, args));
}

/** A lean agent on its end of the pair: one request at a time, answered by id. */
function driver(transport: InMemoryTransport) {
  const waiting = new Map<RequestId, (answer: JSONRPCMessage) => void>();
  transport.onmessage = (message) => {
    const id = (message as { id?: RequestId }).id;
    if (id === undefined) return;
    waiting.get(id)?.(message);
    waiting.delete(id);
  };
  let next = 1;
  return (method: string, params: Record<string, unknown>): Promise<JSONRPCMessage> =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      void transport.send({ jsonrpc: '2.0', id, method, params });
    });
}

const role = process.env[ROLE];
if (role !== undefined) await serve(role as Arm);

/** One arm's server process, and the exit code it may stop with before it answers. */
interface ArmChild {
  readonly process: ChildProcess;
  readonly exited: Promise<unknown>;
}

/** The next message of an arm's child; throws if the child exits first (its error is on stderr). */
async function nextMessage(child: ArmChild, arm: Arm): Promise<unknown> {
  const message = once(child.process, 'message').then((args: unknown[]) => ({ message: args[0] }));
  const result = await Promise.race([message, child.exited.then((code) => ({ code }))]);
  if ('code' in result) throw new Error(`the ${arm} server exited (${String(result.code)})`);
  return result.message;
}

async function runBlock(child: ArmChild, arm: Arm, count: number): Promise<BlockReport> {
  const reply = nextMessage(child, arm);
  child.process.send({ block: count });
  return (await reply) as BlockReport;
}

const otel: Bench = {
  name: 'otel',
  description:
    'server CPU per tools/call that toolflight tracking + otelProjection adds to an McpServer, vs @traceloop/instrumentation-mcp on the same server',
  async run(log) {
    const children = new Map<Arm, ArmChild>();
    try {
      for (const arm of ARMS) {
        const child = fork(fileURLToPath(import.meta.url), [], {
          env: { ...process.env, [ROLE]: arm },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        const exited = once(child, 'exit').then(([code]) => code as unknown);
        children.set(arm, { process: child, exited });
        const ready = await nextMessage(children.get(arm)!, arm);
        if (ready !== 'ready') throw new Error(`${arm} did not start: ${JSON.stringify(ready)}`);
      }
      // Short blocks, the arms' order rotating, so that a burst of other work on this shared
      // machine lands on every arm alike; each arm's overhead is taken against the bare server
      // in the same round, and the median over rounds drops the rounds a burst landed in.
      const cpu = new Map<Arm, number[]>(ARMS.map((arm) => [arm, []]));
      const spans = new Map<Arm, number>(ARMS.map((arm) => [arm, 0]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const arm of rotate(ARMS, round)) {
          const report = await runBlock(children.get(arm)!, arm, BLOCK);
          cpu.get(arm)!.push(report.cpuUs / BLOCK);
          spans.set(arm, spans.get(arm)! + report.spans);
        }
      }
      const perCall = (arm: Arm) => median(cpu.get(arm)!);
      const overhead = (arm: Arm) =>
        median(cpu.get(arm)!.map((us, round) => us - cpu.get('bare')![round]!));
      const spansPerCall = (arm: Arm) => spans.get(arm)! / (ROUNDS * BLOCK);
      for (const arm of ARMS) {
        const added = arm === 'bare' ? '' : `, adds ${fmt(overhead(arm), 1)} µs`;
        log(
          `${NAMES[arm]} ${fmt(perCall(arm), 1)} µs CPU/call${added} (${fmt(spansPerCall(arm), 2)} spans/call)`,
        );
      }
      const ratio = overhead('projected') / overhead('traceloop');
      const spanRatio = overhead('projected') / overhead('traceloopSpans');
      log(
        `overhead ratio vs traceloop ${fmt(ratio, 2)} (target <= 0.5); vs its span code on incoming calls ${fmt(spanRatio, 2)}`,
      );
      // The same from every block's CPU summed, bursts and all: a check on the medians.
      const mean = (arm: Arm) => cpu.get(arm)!.reduce((sum, us) => sum + us, 0) / ROUNDS;
      log(
        `from the mean of all blocks instead: ${ARMS.slice(1)
          .map((arm) => `${arm} adds ${fmt(mean(arm) - mean('bare'), 1)} µs`)
          .join(', ')}`,
      );
      if (spansPerCall('traceloop') === 0) {
        log(
          'traceloop exported no span for an incoming tools/call: what it adds is noise around 0 µs, and a ratio against it says nothing',
        );
      }
      const us = (metric: string, value: number) => ({
        metric,
        value: Math.round(value * 10) / 10,
        unit: 'µs',
        target: 'report',
      });
      return [
        {
          metric: 'overhead_ratio_vs_traceloop',
          value: Math.round(ratio * 100) / 100,
          unit: 'x',
          target: '<= 0.5',
        },
        {
          metric: 'overhead_ratio_vs_traceloop_span_code',
          value: Math.round(spanRatio * 100) / 100,
          unit: 'x',
          target: 'report',
        },
        us('bare_us_per_call', perCall('bare')),
        us('traceloop_us_per_call', perCall('traceloop')),
        us('traceloop_span_code_us_per_call', perCall('traceloopSpans')),
        us('tracked_us_per_call', perCall('tracked')),
        us('toolflight_us_per_call', perCall('projected')),
        us('traceloop_overhead_us', overhead('traceloop')),
        us('traceloop_span_code_overhead_us', overhead('traceloopSpans')),
        us('tracking_overhead_us', overhead('tracked')),
        us('toolflight_overhead_us', overhead('projected')),
      ];
    } finally {
      for (const child of children.values()) {
        if (child.process.connected) child.process.disconnect();
        child.process.kill();
      }
    }
  },
};

export default otel;

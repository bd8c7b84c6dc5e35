import { setMaxListeners } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { createMemoryStore, createTracker, encodeEvent, summarizeEvent } from '../index.js';
import {
  createLoopbackServer,
  loopbackClientConfig,
  type LoopbackServer,
  type LoopbackTool,
} from '../mcp/index.js';
import {
  createInspector,
  createStatelyOutput,
  type Inspector,
  type StatelyOutput,
} from '../inspector/index.js';
import { messageOf } from '../errors.js';
import {
  announce,
  parsePort,
  parseStatelyUrl,
  reachedStately,
  STATELY_URL_HINT,
} from './inspect.js';
import { untilInterrupted } from './untilInterrupted.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import {
  followWithOtlp,
  LIVE_OTLP_TIMEOUT_MS,
  otlpOption,
  type OtlpFollower,
  type OtlpOption,
} from './otel.js';

const KEY = 'demo-run';
const IDLE = { timeoutMs: 5000, admissionGraceMs: 250 };
/** Where the run is written unless `--record` says otherwise. */
const RECORDING = 'recordings/demo.jsonl';

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/** Resolves after `ms`, or as soon as the call is aborted (the tool then stops). */
const work = (ms: number, signal: AbortSignal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/** The host's tools: a fast one, a slow one, one that fails, one for the owner only. */
const TOOLS: LoopbackTool[] = [
  {
    name: 'search',
    description: 'Search the incident tracker.',
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    run: async ({ query }, { signal }) => {
      await work(query === 'all logs' ? 2000 : 30, signal);
      return text(`3 results for ${String(query)}`);
    },
  },
  {
    name: 'deploy',
    description: 'Deploy a service (slow).',
    inputSchema: { type: 'object', properties: { service: { type: 'string' } } },
    run: async ({ service }, { signal }) => {
      await work(400, signal);
      return text(`${String(service)} deployed`);
    },
  },
  {
    name: 'send',
    description: 'Post to a chat channel.',
    inputSchema: {
      type: 'object',
      properties: { to: { type: 'string' }, text: { type: 'string' } },
    },
    run: async ({ to }, { signal }) => {
      await work(40, signal);
      if (to === '#ops-archive') return { ...text('channel is archived'), isError: true };
      return text(`posted to ${String(to)}`);
    },
  },
  {
    name: 'delete_branch',
    description: 'Delete a git branch (owner only).',
    ownerOnly: true,
    inputSchema: { type: 'object', properties: { branch: { type: 'string' } } },
    run: ({ branch }) => text(`deleted ${String(branch)}`),
  },
];

/** An SDK client over real HTTP, configured the way an agent CLI would be. */
async function agent(server: LoopbackServer, owner: boolean): Promise<Client> {
  const config = loopbackClientConfig(server, { capture: KEY, owner });
  const entry = config.mcpServers.toolflight!;
  const expand = (value: string) =>
    value.replace(/\$\{(\w+)\}/g, (_, name: string) => config.env[name] ?? '');
  const headers = Object.fromEntries(Object.entries(entry.headers).map(([k, v]) => [k, expand(v)]));
  const client = new Client({ name: owner ? 'agent' : 'sub-agent', version: '1.0.0' });
  // The SDK client hands one AbortSignal to every fetch, and undici adds a listener per request
  // (freed at GC): lift that one signal's listener limit instead of printing a warning.
  const fetchWithSignal: typeof fetch = (url, init) => {
    if (init?.signal) setMaxListeners(0, init.signal);
    return fetch(url, init);
  };
  await client.connect(
    new StreamableHTTPClientTransport(new URL(entry.url), {
      requestInit: { headers },
      fetch: fetchWithSignal,
    }),
  );
  return client;
}

/** The scripted agent run: concurrent calls, a failure, two refusals, a cancel, a late call. */
async function script(owner: Client, sub: Client): Promise<void> {
  const at = async (ms: number, run: () => Promise<unknown>) => {
    await delay(ms);
    await run().catch(() => undefined);
  };
  const impatient = new AbortController();
  await Promise.all([
    at(0, () => owner.callTool({ name: 'search', arguments: { query: 'open incidents' } })),
    at(10, () => owner.callTool({ name: 'deploy', arguments: { service: 'api' } })),
    at(20, () =>
      owner.callTool({ name: 'send', arguments: { to: '#ops-archive', text: 'deploying' } }),
    ),
    at(30, () => sub.callTool({ name: 'delete_branch', arguments: { branch: 'main' } })),
    at(40, () => owner.callTool({ name: 'delete_branch', arguments: { branch: 'main' } })),
    at(50, () =>
      owner.callTool({ name: 'search', arguments: { query: 'all logs' } }, undefined, {
        signal: impatient.signal,
      }),
    ),
    at(350, () => Promise.resolve(impatient.abort('took too long'))),
    // Arrives after the host started waiting: it restarts the quiet window.
    at(560, () =>
      owner.callTool({ name: 'send', arguments: { to: '#ops', text: 'api deployed' } }),
    ),
  ]);
}

interface Row {
  tool: string;
  outcome?: string;
  reason?: string;
  prepared?: boolean;
  start: number;
  end?: number;
}

const USAGE = [
  'usage: toolflight demo [--inspect] [--port N] [--stately ws://HOST:PORT] [--record FILE]',
  '                       [--otlp URL]',
  '',
  'options:',
  '  --inspect        serve the inspector page over the live run, start once a page watches',
  '  --port N         with --inspect: the inspector port (default: any free port)',
  '  --stately URL    also send the run to a Stately inspector at ws://HOST:PORT',
  `  --record FILE    write the run there (default ${RECORDING}; its folder is created)`,
  '  --otlp URL       also export the run as spans and metrics to an OpenTelemetry collector',
  '                   over OTLP/HTTP (http://localhost:4318); at the end, waits for the last',
  `                   export at most $OTEL_EXPORTER_OTLP_TIMEOUT ms (default ${LIVE_OTLP_TIMEOUT_MS})`,
  '  -h, --help       show this help',
].join('\n');

/** `toolflight demo`: a scripted agent calls tools on a live loopback MCP server. */
export const demo: Command = async (args, io: CliIo) => {
  const parsed = parseCommandArgs('demo', USAGE, io, {
    args: [...args],
    options: {
      inspect: { type: 'boolean' },
      port: { type: 'string' },
      stately: { type: 'string' },
      record: { type: 'string' },
      otlp: { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const options = parsed.values;
  const recording = options.record ?? RECORDING;
  if (recording === '') {
    io.err(`toolflight demo: --record must name a file\n${USAGE}`);
    return 2;
  }
  const port = parsePort(options.port);
  if (Number.isNaN(port)) {
    io.err('toolflight demo: --port takes a number from 0 to 65535');
    return 2;
  }
  const statelyUrl = parseStatelyUrl(options.stately);
  if (statelyUrl === '') {
    io.err(`toolflight demo: ${STATELY_URL_HINT}`);
    return 2;
  }
  let otlpOptions: OtlpOption | undefined;
  try {
    otlpOptions = otlpOption(options.otlp, process.env, (message) => new Error(message));
  } catch (error) {
    io.err(`toolflight demo: ${messageOf(error)}\n${USAGE}`);
    return 2;
  }
  const store = createMemoryStore();
  const tracker = createTracker({ store });
  let stately: StatelyOutput | undefined;
  if (statelyUrl) {
    try {
      stately = await createStatelyOutput({ url: statelyUrl, source: { tracker } });
    } catch (error) {
      io.err(`toolflight demo: ${messageOf(error)}`);
      return 1;
    }
    if (!(await reachedStately(io, 'demo', stately))) return 1;
    io.out(`toolflight demo: connected to Stately at ${stately.url}; the run goes there too`);
  }
  let inspector: Inspector | undefined;
  if (options.inspect) {
    // The run takes about 3 s: start it once a page is watching, so nothing is missed live.
    const watching = new AbortController();
    inspector = await createInspector(
      { tracker, title: 'toolflight demo' },
      { port, onStream: () => watching.abort() },
    );
    // Listen before printing: whoever reads the URL may signal at once.
    const interrupted = untilInterrupted(
      io.stdoutClosed ? AbortSignal.any([watching.signal, io.stdoutClosed]) : watching.signal,
    );
    announce(io, inspector, "the demo's live tracker");
    io.out('waiting for the page to connect…\n');
    const stopped = await interrupted;
    if (stopped) {
      stately?.close();
      await inspector.close();
      return 0;
    }
  }
  // From here on the run is exported: the inspector's wait for a page is not part of it.
  let otlp: OtlpFollower | undefined;
  if (otlpOptions !== undefined) {
    try {
      otlp = await followWithOtlp('demo', otlpOptions, tracker, io);
    } catch (error) {
      // The page and Stately would hold the process open after the error.
      stately?.close();
      await inspector?.close();
      throw error;
    }
  }
  const origin = Date.now();
  let waiting = false;
  const rows = new Map<string, Row>();
  const stopPrinting = tracker.subscribe((event) => {
    const capture = tracker.capture(KEY);
    const inFlight = capture?.inFlight ?? 0;
    const idle = !waiting
      ? 'not waiting'
      : inFlight > 0
        ? 'busy'
        : `waiting ${IDLE.admissionGraceMs} ms grace`;
    io.out(
      `${String(event.at - origin).padStart(5)} ms  ${event.type.padEnd(18)} ${(event.id ?? '').padEnd(5)} ${summarizeEvent(event).padEnd(56)} | in flight ${inFlight} · activity ${capture?.activityVersion ?? 0} · idle? ${idle}`,
    );
    if (event.type === 'toolCall.started')
      rows.set(event.id, { tool: event.data.toolName, start: event.at });
    const row = event.id === undefined ? undefined : rows.get(event.id);
    if (row && event.type === 'toolCall.result') Object.assign(row, event.data);
    if (row && event.type === 'toolCall.finished')
      Object.assign(row, { prepared: event.data.prepared, end: event.at });
  });

  const server = await createLoopbackServer({
    tracker,
    tools: TOOLS,
    hooks: {
      beforeToolCall: ({ toolName, args: callArgs, call }) => {
        if (toolName === 'delete_branch' && callArgs.branch === 'main')
          return { block: 'protected branch' };
        // Writes get an idempotency key in their final arguments (visible as `prepared`).
        if (toolName === 'deploy' || toolName === 'send')
          return { args: { ...callArgs, idempotencyKey: `k-${call?.id ?? ''}` } };
      },
    },
  });
  io.out(`toolflight demo: two agents call tools on ${server.url}, capture "${KEY}"\n`);
  tracker.beginCapture(KEY, {
    onToolCallResult: (call, result) => {
      // An observer that breaks: the call's outcome is untouched and the failure is logged.
      if (result.outcome === 'failed')
        throw new Error(`alerting is down, could not page for ${call.toolName}`);
    },
  });
  const agents: Client[] = [];
  let idle: boolean;
  try {
    const owner = await agent(server, true);
    agents.push(owner);
    const sub = await agent(server, false);
    agents.push(sub);
    const run = script(owner, sub);
    // The host waits once the first burst is out, as a gateway does when the agent CLI exits.
    await delay(520);
    waiting = true;
    const waitStart = Date.now();
    idle = await tracker.waitForIdle(KEY, IDLE);
    io.out(`\nwaitForIdle(${JSON.stringify(IDLE)}) -> ${idle} after ${Date.now() - waitStart} ms`);
    await run;
  } finally {
    // Whatever happened, nothing may keep the process alive.
    await Promise.all(agents.map((client) => client.close()));
    await server.close();
  }

  io.out(
    `\n${'tool call'.padEnd(22)}${'outcome'.padEnd(11)}${'prepared'.padEnd(10)}${'duration'.padEnd(10)}reason`,
  );
  for (const [id, row] of rows) {
    const duration = row.end === undefined ? '-' : `${row.end - row.start} ms`;
    io.out(
      `${`${id} ${row.tool}`.padEnd(22)}${(row.outcome ?? '-').padEnd(11)}${String(row.prepared).padEnd(10)}${duration.padEnd(10)}${row.reason ?? ''}`,
    );
  }
  const final = tracker.capture(KEY);
  io.out(
    `\nfinal projection: "${KEY}" gen ${final?.gen} · in flight ${final?.inFlight} · activity ${final?.activityVersion}`,
  );
  stopPrinting();
  tracker.clearCapture(KEY);
  const events = [...store.read()];
  await mkdir(dirname(recording), { recursive: true });
  await writeFile(recording, events.map(encodeEvent).join('\n') + '\n');
  io.out(`wrote ${recording} (${events.length} events)`);
  await otlp?.stop();
  if (stately) {
    const connection = stately.connection();
    io.out(
      connection.state === 'open'
        ? `sent ${stately.sent()} Stately messages to ${stately.url}`
        : `the connection to Stately at ${stately.url} ended after ${stately.sent()} messages${'reason' in connection ? ` (${connection.reason})` : ''}`,
    );
  }
  // The run is over: nothing more goes to Stately (a later Ctrl-C must not wait for it).
  stately?.close();
  if (inspector) {
    const interrupted = untilInterrupted(io.stdoutClosed);
    io.out(
      `\nthe inspector keeps serving the run at ${inspector.url}: scrub back through it; Ctrl-C to stop`,
    );
    await interrupted;
    await inspector.close();
  }
  return idle ? 0 : 1;
};

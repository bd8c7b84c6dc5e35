// Test support for the loopback server: a tracker with its whole log, a server on a real socket,
// SDK clients as agents, raw HTTP for what an SDK client would never send, waits on events, and
// a virtual clock for the server's timers.
import { once, setMaxListeners } from 'node:events';
import {
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  filter,
  firstValueFrom,
  VirtualTimeScheduler,
  type SchedulerAction,
  type Subscription,
} from 'rxjs';
import { afterEach } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  type CaptureSnapshot,
  type ToolCallResult,
  type ToolflightEvent,
  type Tracker,
} from '../../src/index.js';
import {
  createLoopbackServer,
  type LoopbackRole,
  type LoopbackServer,
  type LoopbackServerOptions,
  type LoopbackTool,
} from '../../src/mcp/index.js';
import { advance } from '../../src/testing/advance.js';

/** A tool that answers with its arguments as JSON text. */
export const echoTool: LoopbackTool = {
  name: 'echo',
  description: 'Answers with its arguments.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  run: (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }),
};

/**
 * A tool whose calls wait until the test releases them; `started` resolves with each call's
 * signal as soon as the tool runs.
 */
export function gateTool(name = 'gate'): LoopbackTool & {
  readonly started: () => Promise<AbortSignal>;
  readonly release: (text?: string) => void;
} {
  const waiting: ((signal: AbortSignal) => void)[] = [];
  const runs: AbortSignal[] = [];
  const releases: ((text: string) => void)[] = [];
  return {
    name,
    inputSchema: { type: 'object' },
    run: (_args, { signal }) => {
      const waiter = waiting.shift();
      if (waiter) waiter(signal);
      else runs.push(signal);
      return new Promise((resolve) =>
        releases.push((text) => resolve({ content: [{ type: 'text', text }] })),
      );
    },
    started: () => {
      const signal = runs.shift();
      return signal ? Promise.resolve(signal) : new Promise((resolve) => waiting.push(resolve));
    },
    release: (text = 'released') => releases.shift()?.(text),
  };
}

/** A loopback server with a tracker that keeps its whole log; closed after each test. */
export interface Harness {
  readonly tracker: Tracker;
  readonly server: LoopbackServer;
  /** Every event so far. */
  readonly events: () => ToolflightEvent[];
  /** The events of one capture as `type id` strings, without `capture.begun`. */
  readonly timeline: (capture: string) => string[];
  /** An SDK client connected as an agent of `capture` with a credential of the role. */
  readonly connect: (options?: { capture?: string; role?: LoopbackRole }) => Promise<Client>;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
});

/** Run `cleanup` after the current test, whatever happens. */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

/** Start a loopback server (tools default to `echo`) with capture `run-1` begun. */
export async function startHarness(
  options: Partial<Omit<LoopbackServerOptions, 'tracker'>> = {},
  trackerOptions: Omit<NonNullable<Parameters<typeof createTracker>[0]>, 'store'> = {},
): Promise<Harness> {
  const store = createMemoryStore();
  const tracker = createTracker({ store, ...trackerOptions });
  tracker.beginCapture('run-1');
  const server = await createLoopbackServer({ tools: [echoTool], ...options, tracker });
  onCleanup(() => server.close());
  const events = (): ToolflightEvent[] => [...store.read()];
  return {
    tracker,
    server,
    events,
    timeline: (capture) =>
      events()
        .filter((event) => event.capture === capture && event.type !== 'capture.begun')
        .map((event) => `${event.type} ${event.id ?? ''}`.trim()),
    connect: async ({ capture = 'run-1', role = 'owner' } = {}) => {
      const client = new Client({ name: 'test-agent', version: '1.0.0' });
      await client.connect(clientTransport(server, role, capture));
      onCleanup(() => client.close());
      return client;
    },
  };
}

/** `Authorization: Bearer …` with the server's credential for `capture` and `role`. */
export const bearer = (server: LoopbackServer, capture = 'run-1', role: LoopbackRole = 'owner') =>
  `Bearer ${server.credential({ capture, owner: role === 'owner' })}`;

/**
 * The SDK's Streamable HTTP client transport with a credential for `capture` and `role` (and no
 * capture header, as `loopbackClientConfig` configures agents). The SDK hands one long-lived
 * AbortSignal to every fetch and undici adds a listener per request, so a busy test client
 * would print MaxListenersExceededWarning: lift the limit on that one signal.
 */
export function clientTransport(
  server: LoopbackServer,
  role: LoopbackRole,
  capture: string,
  onFetch?: (method: string, response: Response) => void,
): StreamableHTTPClientTransport {
  const headers: Record<string, string> = { Authorization: bearer(server, capture, role) };
  return new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers },
    fetch: async (url, init) => {
      if (init?.signal) setMaxListeners(0, init.signal);
      const response = await fetch(url, init);
      onFetch?.(init?.method ?? 'GET', response);
      return response;
    },
  });
}

/** Resolves once nothing is in flight in the capture (at once if nothing is). */
export const settled = (h: { readonly tracker: Tracker }, capture = 'run-1') =>
  until(h.tracker, capture, (snapshot) => snapshot?.inFlight === 0);

/** The recorded result of the first call of `toolName`; throws when there is none. */
export function resultOf(events: ToolflightEvent[], toolName: string): ToolCallResult['data'] {
  const started = events.find(
    (event) => event.type === 'toolCall.started' && event.data.toolName === toolName,
  );
  const result = events.find(
    (event): event is ToolCallResult =>
      event.type === 'toolCall.result' && event.id === started?.id,
  );
  if (!result) throw new Error(`no result recorded for ${toolName}`);
  return result.data;
}

/** The next event that matches, from now on. Subscribe before causing it. */
export function nextEvent(
  tracker: Tracker,
  match: (event: ToolflightEvent) => boolean,
): Promise<ToolflightEvent> {
  return firstValueFrom(tracker.events$.pipe(filter(match)));
}

/** Resolves once the capture's projection satisfies `holds` (checked now and after each event). */
export function until(
  tracker: Tracker,
  capture: string,
  holds: (snapshot: CaptureSnapshot | undefined) => boolean,
): Promise<CaptureSnapshot | undefined> {
  return firstValueFrom(tracker.capture$(capture).pipe(filter(holds)));
}

/** A raw HTTP exchange's outcome. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body when it is JSON. */
  readonly json: unknown;
  /** The response itself, for waiting on its socket. */
  readonly message: IncomingMessage;
}

/** Headers of a JSON-RPC POST as an SDK client sends them, with an owner credential of `run-1`. */
export function rpcHeaders(
  server: LoopbackServer,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    Authorization: bearer(server),
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    ...extra,
  };
}

/** Send one raw request (no keep-alive agent) and read the whole response. */
export function raw(
  server: LoopbackServer,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: server.host,
        port: server.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: options.headers ?? rpcHeaders(server),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, message: res });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The body of a raw agent's `initialize`: what opens a session. */
export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw-agent', version: '1' },
  },
});

/** A JSON-RPC `tools/call` request body. */
export const toolsCall = (name: string, args: unknown = {}, id: number | string = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/**
 * A virtual clock to pass as a server's `scheduler`: no timer runs until the test moves the
 * clock. `armed` resolves once the server set a timer, the proof that it is waiting; sockets
 * stay real, so the test moves the clock only after that.
 */
export class VirtualClock extends VirtualTimeScheduler {
  readonly #waiters: (() => void)[] = [];

  override schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay?: number,
    state?: T,
  ): Subscription {
    const subscription = super.schedule(work, delay, state);
    for (const wake of this.#waiters.splice(0)) wake();
    return subscription;
  }

  /** How many timers are set and not yet run or cancelled. */
  get pending(): number {
    return this.actions.length;
  }

  /** Resolves once at least one timer is set (at once if one is). */
  armed(): Promise<void> {
    if (this.pending > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Move the clock `ms` forward, running every timer due by then, in order. */
  advance(ms: number): void {
    advance(this, ms);
  }
}

/** A POST that sends `firstChunk` of a body declared `length` bytes long, then waits. */
export interface StalledPost {
  readonly req: ClientRequest;
  /** Resolves with the server's response, whenever it comes. */
  readonly response: Promise<IncomingMessage>;
}

/** Start a POST to `/mcp` that sends `firstChunk` and then nothing more, declaring `length`. */
export function stalledPost(
  target: { readonly host: string; readonly port: number },
  headers: Record<string, string>,
  length: number,
  firstChunk: string,
): StalledPost {
  const req = httpRequest({
    host: target.host,
    port: target.port,
    method: 'POST',
    path: '/mcp',
    headers: { ...headers, 'Content-Length': String(length) },
    agent: false,
  });
  req.on('error', () => undefined);
  const response = (once(req, 'response') as Promise<[IncomingMessage]>).then(([res]) => res);
  req.write(firstChunk);
  return { req, response };
}

/** The whole text of a response. */
export async function textOf(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Read SSE events from a GET stream until `count` arrived; resolves with their ids and data. */
export async function readEvents(response: Response, count: number) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id?: string; data: string }[] = [];
  let buffered = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (data !== '') events.push({ id, data });
    }
  }
  await reader.cancel();
  return events;
}

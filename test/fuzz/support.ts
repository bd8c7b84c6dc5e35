// Generative tests of the HTTP entry points: random hostile requests, written byte by byte on a
// raw socket (an HTTP client library would refuse to send most of them), each of which must be
// answered with a status the README documents, the server serving a normal call after each;
// then its own counters back at zero, and the heap back at its baseline.
//
// fast-check earns its place here: a failure shrinks to the smallest request that shows it, and
// prints the seed and path that replay it (`FUZZ_SEED`, `FUZZ_PATH`); `FUZZ_RUNS` sets the count.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import fc from 'fast-check';

import type { Tracker } from '../../src/index.js';
import { INITIALIZE_BODY, raw, toolsCall, until } from '../mcp/support.js';
import { hostileRequests, mustBeAnswered, type Aim } from './hostileRequests.js';
import { send } from './rawExchange.js';

/** The run count and replay settings, from the environment. */
export function fuzzParameters(runs: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  return {
    numRuns: Number(process.env.FUZZ_RUNS ?? runs),
    ...(seed === undefined ? {} : { seed: Number(seed), path: process.env.FUZZ_PATH }),
    // The suite's budget is about 20 s an entry point: a slow machine runs fewer requests (a
    // failure found by then still shrinks and fails).
    interruptAfterTimeLimit: 15_000,
  };
}

setFlagsFromString('--expose-gc');
/** V8's collector, reached through a fresh context once the flag is set. */
const gc = runInNewContext('gc') as () => void;

/** The heap in use after full collections, in bytes. */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Resolves once `holds()`, checked after each turn of the event loop (the caller bounds it). */
export async function eventually(holds: () => boolean): Promise<void> {
  while (!holds()) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * What the MCP endpoints answer (the README's hardening table): 409 is a credential's capture
 * that is not live, 503 a cap; 500 is never documented.
 */
export const MCP_STATUSES = [200, 202, 400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 503];

/** What the inspector answers. */
export const INSPECTOR_STATUSES = [200, 400, 401, 403, 404, 405, 408, 503];

/** One entry point under fuzz, as the shared property drives it. */
export interface FuzzTarget {
  readonly aim: Aim;
  /** The statuses the README's hardening table documents for this entry point. */
  readonly documented: readonly number[];
  /** A normal call on a fresh connection; resolves with its status. */
  readonly normalCall: () => Promise<number>;
  /**
   * Resolves once the server's own counters are back at rest (nothing open, nothing in flight);
   * may stop waiting once `late()`.
   */
  readonly atRest: (late: () => boolean) => Promise<void>;
  /** The counters, as a failure names them. */
  readonly counters: () => string;
}

/** Wait for the server to come back to rest, or fail naming its counters. */
async function atRest(target: FuzzTarget): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new Error(`not back at rest within 10 s: ${target.counters()}`));
    }, 10_000);
  });
  try {
    await Promise.race([target.atRest(() => late), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Bytes the heap may keep after a run, for code compiled and caches filled on the way (1 to
 * 2 MB measured, whatever the number of runs). A tenth of the bodies are over 64 KiB: keeping
 * those of 1,000 requests would pass it.
 */
const HEAP_SLACK = 5 * 1024 * 1024;

/**
 * Fuzz `target`: a warm-up run, a baseline heap, then `runs` hostile requests, each answered with
 * a documented status and followed by a normal call; then the counters at rest and the heap
 * back within {@link HEAP_SLACK} of its baseline (bodies of up to a MiB each would not be).
 */
export async function fuzz(target: FuzzTarget, runs: number): Promise<void> {
  const property = fc.asyncProperty(hostileRequests(target.aim), async (request) => {
    const answer = await send(target.aim, request);
    if (answer.statuses.length === 0 && mustBeAnswered(request)) {
      throw new Error(`closed without an answer (${target.counters()})`);
    }
    for (const status of answer.statuses) {
      if (!target.documented.includes(status)) {
        throw new Error(`answered ${status} (${target.counters()})`);
      }
    }
    const after = await target.normalCall();
    if (after !== 200) throw new Error(`a normal call after it answered ${after}`);
  });
  // Warm up: compile every path once, so that the baseline holds the code it will run.
  await fc.assert(property, { numRuns: Math.ceil(runs / 4), seed: 1 });
  await atRest(target);
  const baseline = await settledHeap();
  await fc.assert(property, fuzzParameters(runs));
  await atRest(target);
  const grown = (await settledHeap()) - baseline;
  if (grown > HEAP_SLACK) {
    throw new Error(`the heap grew by ${grown} bytes over the run (at most ${HEAP_SLACK})`);
  }
}

/**
 * The session the hostile requests name, on an endpoint with sessions: opened on a connection of
 * its own (a pooled keep-alive connection would be cut by a short idle timeout under a later
 * request). A hostile DELETE may end it: `renew`, after the normal call, ends it for sure and
 * opens the next, so that no session is left behind.
 */
export async function hostileSession(
  at: { readonly host: string; readonly port: number },
  headers: Record<string, string>,
): Promise<{
  readonly session: (request: { readonly method: string }) => string;
  readonly renew: () => Promise<void>;
  readonly open: () => Promise<string>;
}> {
  const open = async (): Promise<string> => {
    const opened = await raw(at as never, { headers, body: INITIALIZE_BODY });
    const session = opened.headers['mcp-session-id'];
    if (typeof session !== 'string') {
      throw new Error(`initialize answered ${opened.status} without a session`);
    }
    return session;
  };
  let live = await open();
  let deleted = false;
  return {
    open,
    session: (request) => {
      if (request.method === 'DELETE') deleted = true;
      return live;
    },
    renew: async () => {
      if (!deleted) return;
      const ended = { ...headers, 'Mcp-Session-Id': live };
      await raw(at as never, { method: 'DELETE', headers: ended });
      deleted = false;
      live = await open();
    },
  };
}

/** An endpoint with sessions (the proxy, the gateway), with what the fuzzing needs of it. */
export interface SessionEndpoint {
  readonly port: number;
  /** One credential per capture, the first for the normal calls. */
  readonly credentials: readonly string[];
  readonly tracker: Tracker;
  readonly captures: readonly string[];
  readonly maxBodyBytes: number;
  /** A tool the normal call may call with `{ text }`. */
  readonly tool: string;
  readonly openStreams: () => number;
}

/**
 * Hostile requests against an endpoint that is stateful toward agents: a session for the
 * normal calls, and one the hostile requests name; a normal call after each; at rest after.
 */
export async function fuzzSessionEndpoint(endpoint: SessionEndpoint, runs = 1000): Promise<void> {
  const { port, credentials, tracker, captures, maxBodyBytes } = endpoint;
  const headers = {
    Authorization: `Bearer ${credentials[0]}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  const at = { host: '127.0.0.1', port } as never;
  const hostile = await hostileSession(at, headers);
  const normal = { ...headers, 'Mcp-Session-Id': await hostile.open() };
  const inFlight = () => captures.map((capture) => tracker.capture(capture)?.inFlight ?? 0);
  await fuzz(
    {
      aim: {
        port,
        host: `127.0.0.1:${port}`,
        path: '/mcp',
        authorizations: credentials.map((credential) => `Bearer ${credential}`),
        maxBodyBytes,
        session: hostile.session,
      },
      documented: MCP_STATUSES,
      normalCall: async () => {
        const { status } = await raw(at, {
          headers: normal,
          body: toolsCall(endpoint.tool, { text: 'still here' }),
        });
        await hostile.renew();
        return status;
      },
      atRest: async (late) => {
        for (const capture of captures) {
          await until(tracker, capture, (snapshot) => snapshot?.inFlight === 0);
        }
        await eventually(() => late() || endpoint.openStreams() === 0);
      },
      counters: () =>
        `${inFlight().join(' + ')} requests in flight, ${endpoint.openStreams()} streams open`,
    },
    runs,
  );
}

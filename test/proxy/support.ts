// Test support for the proxy: a tracker with its whole log, proxies on real sockets in front of
// real upstreams, SDK clients as agents, and waits on notices.
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { filter, firstValueFrom, type Observable } from 'rxjs';

import {
  createMemoryStore,
  createTracker,
  type ToolflightEvent,
  type Tracker,
} from '../../src/index.js';
import {
  createProxy,
  type Proxy,
  type ProxyNotice,
  type ProxyOptions,
  type StdioUpstream,
} from '../../src/mcp/index.js';
import { runProxy } from '../../src/cli/proxy.js';
import { agentTransport } from '../support/agentTransport.js';
import { startEndpointCli } from '../support/endpointCli.js';
import { startHttpUpstream, type HttpUpstreamFixture } from '../fixtures/proxy/httpUpstream.js';
import { INITIALIZE_BODY, onCleanup } from '../mcp/support.js';

export { INITIALIZE_BODY };

export { onCleanup };

/** The stdio fixture server as an upstream (`extra` are its arguments). */
export function stdioUpstream(...extra: string[]): StdioUpstream {
  return {
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      fileURLToPath(new URL('../fixtures/proxy/stdioServer.ts', import.meta.url)),
      ...extra,
    ],
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    name: 'fixture-stdio',
  };
}

/** A proxy, its tracker's log and every notice it made; closed after the test. */
export interface ProxyHarness<C> {
  readonly proxy: Proxy<C>;
  readonly tracker: Tracker;
  readonly events: () => ToolflightEvent[];
  readonly notices: ProxyNotice[];
  /**
   * An SDK client connected through the proxy with the credential of `capture` (default
   * `run-1`), or with `credential` as given.
   */
  readonly connect: (options?: {
    credential?: string;
    capture?: string;
    onListChanged?: () => void;
  }) => Promise<Client>;
}

/** Start a proxy (capture `run-1` begun) in front of `upstream`. */
export async function startProxy<C = undefined>(
  options: Omit<ProxyOptions<C>, 'tracker'>,
): Promise<ProxyHarness<C>> {
  const store = createMemoryStore();
  const tracker = createTracker({ store });
  tracker.beginCapture('run-1');
  const proxy = await createProxy<C>({ ...options, tracker });
  const notices: ProxyNotice[] = [];
  proxy.notices$.subscribe((notice) => notices.push(notice));
  onCleanup(() => proxy.close());
  return {
    proxy,
    tracker,
    events: () => [...store.read()],
    notices,
    connect: async ({ credential, capture = 'run-1', onListChanged } = {}) => {
      const client = new Client({ name: 'test-agent', version: '1.0.0' });
      if (onListChanged) {
        client.setNotificationHandler(
          (await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema,
          () => onListChanged(),
        );
      }
      await client.connect(agentTransport(proxy.url, credential ?? proxy.credential({ capture })));
      onCleanup(() => client.close());
      return client;
    },
  };
}

export { agentTransport };

/**
 * The headers of a raw agent request in a session of its own: `initialize` sent with `fetch`
 * (the proxy is stateful toward agents), then the credential and the session id it answered.
 */
export async function rawSession(
  proxy: Proxy<unknown>,
  capture = 'run-1',
): Promise<Record<string, string>> {
  const headers = {
    Authorization: `Bearer ${proxy.credential({ capture })}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  const response = await fetch(proxy.url, { method: 'POST', headers, body: INITIALIZE_BODY });
  await response.text();
  const session = response.headers.get('mcp-session-id');
  if (session === null) throw new Error(`initialize answered ${response.status} without a session`);
  return { ...headers, 'Mcp-Session-Id': session };
}

/** The fixture HTTP upstream, stopped after the test. */
export async function httpUpstream(names?: readonly string[]): Promise<HttpUpstreamFixture> {
  const upstream = await startHttpUpstream(names);
  onCleanup(() => upstream.stop());
  return upstream;
}

/** The next notice that matches, from now on. Ask before causing it. */
export function nextNotice(
  proxy: { readonly notices$: Observable<ProxyNotice> },
  match: (notice: ProxyNotice) => boolean,
): Promise<ProxyNotice> {
  return firstValueFrom(proxy.notices$.pipe(filter(match)));
}

/** Matches an `upstream.changed` notice of `state`. */
export const upstreamIs =
  (state: string) =>
  (notice: ProxyNotice): boolean =>
    notice.type === 'upstream.changed' &&
    notice.data.state === state &&
    notice.data.stderr === undefined;

/**
 * Run `toolflight proxy ARGS` in process until the test ends: its output lines, URL and the
 * agent credential it printed, a wait on its next stderr line that matches, and agents
 * connected through it.
 */
export function startProxyCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return startEndpointCli('proxy', runProxy, args, env, onCleanup);
}

// @internal The SDK transport for an upstream, with the live token on every HTTP request and
// the upstream's own answer kept when it refuses a POST (so that it reaches the agent verbatim).
import { setMaxListeners } from 'node:events';

import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

import { ChildTransport } from './childTransport.js';
import { createNodeFetch } from './nodeFetch.js';
import type { HttpUpstream, ProxyUpstream } from './Proxy.js';

/** An HTTP refusal of one POSTed request, as the upstream sent it. */
export interface HttpRefusal {
  readonly status: number;
  readonly text: string;
}

/** A connected-to-be upstream transport and where its HTTP refusals are kept, by request id. */
export interface UpstreamTransport {
  readonly transport: Transport;
  readonly refusals: Map<string | number, HttpRefusal>;
}

/** True for an HTTP upstream. */
export const isHttpUpstream = (upstream: ProxyUpstream): upstream is HttpUpstream =>
  typeof (upstream as HttpUpstream).url === 'string';

/** The name an upstream goes by in notices. */
export function upstreamName(upstream: ProxyUpstream): string {
  if (upstream.name !== undefined) return upstream.name;
  if (isHttpUpstream(upstream)) return new URL(upstream.url).host;
  return upstream.command;
}

const requestIdOf = (body: unknown): string | number | undefined => {
  if (typeof body !== 'string') return undefined;
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
};

/** A fresh transport to `upstream` (an HTTP session, or a child process not yet started). */
export function createUpstreamTransport(upstream: ProxyUpstream): UpstreamTransport {
  const refusals = new Map<string | number, HttpRefusal>();
  if (!isHttpUpstream(upstream)) return { transport: new ChildTransport(upstream), refusals };
  const nodeFetch = createNodeFetch();
  const transport = new StreamableHTTPClientTransport(new URL(upstream.url), {
    // The proxy runs its own backoff; the SDK's would retry the GET stream behind its back.
    reconnectionOptions: {
      initialReconnectionDelay: 1000,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1,
      maxRetries: 0,
    },
    fetch: async (url, init) => {
      // The SDK hands one long-lived signal to every request, which adds a listener to it.
      if (init?.signal) setMaxListeners(0, init.signal);
      const headers = new Headers(init?.headers);
      const token = await upstream.getToken?.();
      if (token !== undefined && token !== '') headers.set('authorization', `Bearer ${token}`);
      const response = await nodeFetch(url, { ...init, headers });
      if (!response.ok && init?.method === 'POST') {
        const id = requestIdOf(init.body);
        if (id !== undefined) {
          const text = await response
            .clone()
            .text()
            .catch(() => '');
          refusals.set(id, { status: response.status, text });
        }
      }
      return response;
    },
  });
  const close = transport.close.bind(transport);
  transport.close = async () => {
    await close();
    nodeFetch.destroy();
  };
  return { transport, refusals };
}

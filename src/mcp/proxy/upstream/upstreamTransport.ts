// @internal The transport to an upstream: our lean Streamable HTTP client for a URL, a child
// process over stdio for a command.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { SchedulerLike } from 'rxjs';

import { ChildTransport } from './childTransport.js';
import { HttpTransport } from './httpTransport.js';
import type { HttpUpstream, ProxyUpstream } from './Upstream.js';

export type { HttpRefusal } from './httpTransportError.js';

/** True for an HTTP upstream. */
export const isHttpUpstream = (upstream: ProxyUpstream): upstream is HttpUpstream =>
  typeof (upstream as HttpUpstream).url === 'string';

/** The name an upstream goes by in notices. */
export function upstreamName(upstream: ProxyUpstream): string {
  if (upstream.name !== undefined) return upstream.name;
  if (isHttpUpstream(upstream)) return new URL(upstream.url).host;
  return upstream.command;
}

/**
 * A fresh transport to `upstream` (an HTTP session, or a child process not yet started);
 * `scheduler` times a child's stderr budget.
 */
export function createUpstreamTransport(
  upstream: ProxyUpstream,
  scheduler: SchedulerLike,
): Transport {
  return isHttpUpstream(upstream)
    ? new HttpTransport(upstream)
    : new ChildTransport(upstream, scheduler);
}

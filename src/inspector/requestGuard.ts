// @internal The checks every inspector request passes before anything is served: the Host header
// (DNS rebinding), the browser Origin (only the inspector's own), then the launch token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The `Host` values an inspector on `host:port` answers to, lower case. */
export function allowedHosts(host: string, port: number): ReadonlySet<string> {
  const names = host === '::1' ? ['[::1]', 'localhost'] : [host.toLowerCase(), 'localhost'];
  const hosts = names.map((name) => `${name}:${port}`);
  // Clients leave the default port out of `Host`.
  return new Set(port === 80 ? [...hosts, ...names] : hosts);
}

/** Why a request was refused, with the status to answer. */
export interface Refusal {
  readonly status: 401 | 403;
  readonly message: string;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** True when `given` is the launch token; compares in constant time whatever the lengths. */
export function tokenMatches(token: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(token), digest(given)) && given.length === token.length;
}

/**
 * Refuse a request whose Host is not this server, whose Origin is another site (a page of
 * another origin, even on loopback), or that lacks the token (query `token`), in that order:
 * a foreign page learns nothing, not even whether a token would do.
 */
export function checkRequest(
  req: IncomingMessage,
  hosts: ReadonlySet<string>,
  token: string,
): Refusal | undefined {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return { status: 403, message: 'Forbidden: the Host header does not name this inspector' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, hosts)) {
    return { status: 403, message: 'Forbidden: pages of other origins may not read the inspector' };
  }
  const url = new URL(req.url ?? '/', 'http://inspector');
  if (!tokenMatches(token, url.searchParams.get('token'))) {
    return {
      status: 401,
      message: 'Unauthorized: open the URL toolflight printed, with its ?token=…',
    };
  }
  return undefined;
}

function sameOrigin(origin: string, hosts: ReadonlySet<string>): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && hosts.has(url.host.toLowerCase());
  } catch {
    return false;
  }
}

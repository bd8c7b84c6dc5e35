// @internal Which hosts a toolflight HTTP server binds, and which `Host` and `Origin` values it
// answers to. Every server (loopback MCP server, proxy, inspector) is for this machine only:
// it binds loopback, and it refuses a `Host` that is not its own, so that a page whose DNS name
// was rebound to 127.0.0.1 cannot reach it.

/** The `host` values a toolflight server accepts, as an error message should name them. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;

/** An address a toolflight server binds. */
export type LoopbackAddress = '127.0.0.1' | '::1';

/** Host names of loopback as `URL.hostname` spells them (IPv6 in brackets). */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The address to bind for a `host` option, or undefined when `host` is not loopback (refuse
 * it). `localhost` binds 127.0.0.1: what the name resolves to differs between machines.
 */
export function loopbackAddress(host: string | undefined): LoopbackAddress | undefined {
  if (host === undefined || host === '127.0.0.1' || host === 'localhost') return '127.0.0.1';
  if (host === '::1' || host === '[::1]') return '::1';
  return undefined;
}

/** The message of a refused `host`: what binds, and what to pass instead. */
export function nonLoopbackMessage(server: string, host: unknown): string {
  const allowed = LOOPBACK_HOSTS.map((name) => `"${name}"`);
  return `${server} binds loopback only, not ${JSON.stringify(host)}: pass host ${allowed[0]} (the default), ${allowed[1]} or ${allowed[2]}`;
}

/** The `Host` values a server bound to `address:port` answers to, lower case. */
export function allowedHosts(address: LoopbackAddress, port: number): ReadonlySet<string> {
  const names = address === '::1' ? ['[::1]', 'localhost'] : ['127.0.0.1', 'localhost'];
  const hosts = names.map((name) => `${name}:${port}`);
  // Clients leave the default port out of `Host`.
  return new Set(port === 80 ? [...hosts, ...names] : hosts);
}

/** True when a request's `Host` header is one of `hosts` (compared without case). */
export function hostAllowed(host: string | undefined, hosts: ReadonlySet<string>): boolean {
  return host !== undefined && hosts.has(host.toLowerCase());
}

/**
 * True when a browser `Origin` may call an endpoint meant for any local page: absent (not a
 * browser), or an origin on loopback, whatever its port. `null` (sandboxed frames, files) and
 * anything unparsable are refused.
 */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return LOOPBACK_NAMES.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * True when a browser `Origin` is the server's own: absent, or `http:` with a host in `hosts`.
 * Stricter than {@link isLoopbackOrigin}: another page on loopback (another port) is refused.
 */
export function isOwnOrigin(origin: string | undefined, hosts: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && hosts.has(url.host.toLowerCase());
  } catch {
    return false;
  }
}

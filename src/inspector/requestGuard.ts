// @internal The checks every inspector request passes before anything is served: the Host header
// (DNS rebinding), the browser Origin (only the inspector's own), then the launch token.
import type { IncomingMessage } from 'node:http';

import { hostAllowed, isOwnOrigin } from '../http/loopbackHosts.js';
import type { SecretMatcher } from '../http/secretMatcher.js';

/** Why a request was refused, with the status to answer. */
export interface Refusal {
  readonly status: 400 | 401 | 403;
  readonly message: string;
}

/**
 * The request's target as a URL, or undefined when it is not a path (`*`, a full URL).
 * Resolved against a base, `//x` would name a host and throw (found by the fuzz tests: it was
 * a 500); appended to the origin, it stays a path.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  const target = req.url ?? '';
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://inspector${target}`);
  } catch {
    return undefined;
  }
}

/**
 * Refuse a request whose Host is not this server, whose Origin is another site (a page of
 * another origin, even on loopback), whose target is not a path, or that lacks the token (query
 * `token`), in that order: a foreign page learns nothing, not even whether a token would do.
 */
export function checkRequest(
  req: IncomingMessage,
  hosts: ReadonlySet<string>,
  token: SecretMatcher,
): Refusal | undefined {
  if (!hostAllowed(req.headers.host, hosts)) {
    return { status: 403, message: 'Forbidden: the Host header does not name this inspector' };
  }
  if (!isOwnOrigin(req.headers.origin, hosts)) {
    return { status: 403, message: 'Forbidden: pages of other origins may not read the inspector' };
  }
  const url = requestUrl(req);
  if (url === undefined) {
    return { status: 400, message: 'Bad Request: the request target must be a path, like /' };
  }
  if (!token.matches(url.searchParams.get('token'))) {
    return {
      status: 401,
      message: 'Unauthorized: open the URL toolflight printed, with its ?token=…',
    };
  }
  return undefined;
}

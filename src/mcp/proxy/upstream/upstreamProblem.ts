// @internal What is wrong with an upstream given in code, in the words of the option that holds
// it (`upstream` on the proxy, `servers.NAME` on a gateway): checked before anything starts.
import { upstreamHeaderProblem } from './httpTransport.js';

/** An HTTP upstream's `headers`: each one sendable, none the proxy's own, no name twice. */
function headersProblem(headers: unknown, http: boolean, at: string): string | undefined {
  if (!http) {
    return `${at}.headers is for an HTTP upstream ({ url, headers }): a stdio server takes env instead`;
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    return `${at}.headers must be an object of header names to string values`;
  }
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    // The name only, never the value: a configured header usually carries a credential.
    const problem = upstreamHeaderProblem(name, value);
    if (problem !== undefined) return `${at}.headers[${JSON.stringify(name)}] ${problem}`;
    const twice = seen.get(name.toLowerCase());
    if (twice !== undefined) {
      return `${at}.headers names one header twice (${JSON.stringify(twice)} and ${JSON.stringify(name)}): header names ignore case, keep one`;
    }
    seen.set(name.toLowerCase(), name);
  }
  return undefined;
}

/** Why `value` is no upstream (`at` names the option), or undefined when it is one. */
export function upstreamProblem(value: unknown, at: string): string | undefined {
  const upstream = value as Record<string, unknown> | undefined;
  const http = typeof upstream?.url === 'string';
  if (!http && typeof upstream?.command !== 'string') {
    return `${at} must be { url } (Streamable HTTP) or { command, args } (a stdio server)`;
  }
  if (http && !URL.canParse(upstream.url as string)) {
    return `${at}.url is not a URL: ${String(upstream.url)}`;
  }
  if (upstream.shared !== undefined && typeof upstream.shared !== 'boolean') {
    return `${at}.shared must be true or false, got ${JSON.stringify(upstream.shared)}`;
  }
  if (upstream.headers !== undefined) {
    const problem = headersProblem(upstream.headers, http, at);
    if (problem !== undefined) return problem;
  }
  const secrets = upstream.secrets;
  if (
    secrets !== undefined &&
    (!Array.isArray(secrets) || secrets.some((secret) => typeof secret !== 'string'))
  ) {
    return `${at}.secrets must be an array of strings (the values to mask)`;
  }
  if (http && upstream.shared === true) {
    return `${at}.shared is for a stdio upstream ({ command, shared: true }): an HTTP upstream gives each agent session an HTTP session of its own, which costs no process; drop shared`;
  }
  return undefined;
}

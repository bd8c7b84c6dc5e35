// @internal The servers of `createGateway`, checked: each an upstream (or one with what the
// gateway keeps for it), named so that no two share the prefix of their tools' names.
import { safeNamePart } from '../../projections/toolNames.js';
import type { ProxyUpstream } from '../proxy/upstream/Upstream.js';
import { upstreamProblem } from '../proxy/upstream/upstreamProblem.js';
import type { GatewayServer } from './Gateway.js';
import { GatewayError } from './GatewayError.js';
import { MAX_SERVERS } from './mcpServersConfig.js';

/** The gateway's refusal of an option: says which and what to do instead. */
export const invalid = (message: string): GatewayError =>
  new GatewayError('invalid_option', message);

/** A server entry as given: an upstream alone, or with what the gateway keeps for it. */
function serverOf(name: string, value: unknown): GatewayServer {
  const entry = value as Partial<GatewayServer> & Partial<ProxyUpstream>;
  const server: GatewayServer =
    entry !== null && typeof entry === 'object' && 'upstream' in entry
      ? (entry as GatewayServer)
      : { upstream: entry as ProxyUpstream };
  // Named as given: `servers.x` for an upstream alone, `servers.x.upstream` inside an entry.
  const at = server.upstream === entry ? `servers.${name}` : `servers.${name}.upstream`;
  const problem = upstreamProblem(server.upstream, at);
  if (problem !== undefined) throw invalid(problem);
  return server;
}

/** The servers, checked: names that stay apart once made safe for tool names. */
export function checkServers(servers: unknown): readonly (readonly [string, GatewayServer])[] {
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) {
    throw invalid('options.servers must be an object of servers by name: { github: { url }, … }');
  }
  const entries = Object.entries(servers);
  if (entries.length === 0) throw invalid('options.servers is empty: give at least one server');
  if (entries.length > MAX_SERVERS) {
    throw invalid(`options.servers holds ${entries.length} servers, more than ${MAX_SERVERS}`);
  }
  const safe = new Map<string, string>();
  return entries.map(([name, value]) => {
    if (name === '' || name.length > 64) {
      throw invalid(`server names must be 1 to 64 characters, got ${JSON.stringify(name)}`);
    }
    const server = serverOf(name, value);
    if (server.prefix !== undefined && typeof server.prefix !== 'string') {
      throw invalid(`servers.${name}.prefix must be a string ('' for the tools' own names)`);
    }
    const part = safeNamePart(server.prefix ?? name);
    const other = server.prefix === '' ? undefined : safe.get(part);
    if (other !== undefined) {
      throw invalid(
        `servers ${JSON.stringify(other)} and ${JSON.stringify(name)} would both name their tools ${part}__…: rename one`,
      );
    }
    if (server.prefix !== '') safe.set(part, name);
    return [name, server] as const;
  });
}

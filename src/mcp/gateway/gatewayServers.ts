import type { GatewayServer } from './Gateway.js';
import type { McpServersConfig } from './McpServerEntry.js';
import { configFingerprint, type McpServersSource } from './mcpServersConfig.js';
import { resolveUpstream } from './resolveUpstream.js';

/**
 * The `servers` of `createGateway` for a parsed `mcpServers` config: each entry's variables
 * expanded from `env` and its command looked up (throws `GatewayError` naming the server and
 * the field), its fingerprint the entry's as written, so a restart with the same file, or with
 * a rotated secret in `env`, finds its catalogs still current.
 *
 * @example
 * const config = parseMcpServers(readFileSync('.mcp.json', 'utf8'), { source: '.mcp.json' });
 * const gateway = await createGateway({ tracker, servers: gatewayServers(config, process.env) });
 */
export function gatewayServers(
  config: McpServersConfig,
  env: Readonly<Record<string, string | undefined>>,
  options: McpServersSource = {},
): Record<string, GatewayServer> {
  const servers: Record<string, GatewayServer> = Object.create(null) as Record<
    string,
    GatewayServer
  >;
  for (const entry of config.servers) {
    servers[entry.name] = {
      upstream: resolveUpstream(entry, env, options),
      config: configFingerprint(entry),
    };
  }
  return servers;
}

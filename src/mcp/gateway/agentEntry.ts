// The one `mcpServers` entry an agent gets for a gateway, in place of the servers it fronts.
import { GatewayError } from './GatewayError.js';
import { got } from './readServerEntry.js';

/** Options of `agentEntry`. */
export interface AgentEntryOptions {
  /** The gateway's URL (`gateway.url`). */
  readonly url: string;
  /** The agent's credential for it, sent as `Authorization: Bearer <credential>`. */
  readonly credential: string;
  /** The server's name in the agent's config. Default `toolflight`. */
  readonly name?: string;
}

/** An `mcpServers` config with the one entry that points an agent at the gateway. */
export interface AgentEntry {
  readonly mcpServers: Readonly<
    Record<
      string,
      {
        readonly type: 'http';
        readonly url: string;
        readonly headers: Readonly<Record<string, string>>;
      }
    >
  >;
}

const AGENT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The config an agent gets for the gateway: one `type: "http"` entry with its URL and its
 * credential as a bearer header, in place of every server the gateway fronts. It holds the
 * credential: write it where only that agent reads it.
 *
 * @example
 * writeFileSync('agent-mcp.json', JSON.stringify(agentEntry({ url, credential })), { mode: 0o600 });
 */
export function agentEntry({
  url,
  credential,
  name = 'toolflight',
}: AgentEntryOptions): AgentEntry {
  if (typeof name !== 'string' || !AGENT_NAME.test(name)) {
    throw new GatewayError(
      'invalid_option',
      `name must be 1-64 letters, digits, "_" or "-", got ${got(name)}`,
    );
  }
  const protocol = typeof url === 'string' && URL.canParse(url) ? new URL(url).protocol : undefined;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new GatewayError('invalid_option', `url must be the gateway's http(s) URL (gateway.url)`);
  }
  if (typeof credential !== 'string' || !/^[\x21-\x7e]+$/.test(credential)) {
    throw new GatewayError(
      'invalid_option',
      'credential must be the non-empty credential the gateway minted (printable, no spaces)',
    );
  }
  return {
    mcpServers: {
      [name]: { type: 'http', url, headers: { Authorization: `Bearer ${credential}` } },
    },
  };
}

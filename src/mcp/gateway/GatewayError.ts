import { ToolflightError } from '../../errors.js';

/** Machine-readable reasons the gateway refused its configuration or a call on it. */
export type GatewayErrorCode =
  'invalid_config' | 'invalid_option' | 'command_not_found' | 'listen_failed' | 'gateway_closed';

/**
 * A configuration or lifecycle error of the gateway, thrown to the host; the message says what
 * to do instead, and names the config file, the server and the field when it is about one.
 * Agents never see one: they get HTTP statuses and JSON-RPC errors.
 *
 * @example
 * try { parseMcpServers(readFileSync('mcp.json', 'utf8'), { source: 'mcp.json' }); }
 * catch (error) { if (error instanceof GatewayError && error.code === 'invalid_config') { ... } }
 */
export class GatewayError extends ToolflightError<GatewayErrorCode> {
  override readonly name: string = 'GatewayError';
}

import { ToolflightError } from '../../errors.js';

/** Machine-readable reasons the proxy refused its configuration or a call on it. */
export type ProxyErrorCode = 'invalid_option' | 'listen_failed' | 'proxy_closed';

/**
 * A configuration or lifecycle error of `createProxy`, thrown to the host; the message says what
 * to do instead. Agents never see one: they get HTTP statuses and JSON-RPC errors.
 *
 * @example
 * try { await createProxy({ tracker, upstream: {} as never }); }
 * catch (error) { if (error instanceof ProxyError && error.code === 'invalid_option') { ... } }
 */
export class ProxyError extends ToolflightError<ProxyErrorCode> {
  override readonly name: string = 'ProxyError';
}

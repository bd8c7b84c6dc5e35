import { ToolflightError } from '../errors.js';

/** Machine-readable reasons `createInspector` refused its options. */
export type InspectorErrorCode = 'non_loopback_host' | 'weak_token' | 'invalid_option';

/**
 * A configuration error of `createInspector`, thrown to the host: a `ToolflightError` whose
 * `code` says what was refused and whose message says what to pass instead.
 *
 * @example
 * try { await createInspector({ tracker }, { token: 'secret' }); }
 * catch (error) { if (error instanceof InspectorError && error.code === 'weak_token') { ... } }
 */
export class InspectorError extends ToolflightError<InspectorErrorCode> {
  override readonly name: string = 'InspectorError';
}

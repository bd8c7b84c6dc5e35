import { ToolflightError } from '../errors.js';

/**
 * Machine-readable reasons the inspector refused something: `createInspector`'s options, or an
 * event pushed to a `fleetFeed` (`invalid_event`, `out_of_order`).
 */
export type InspectorErrorCode =
  'non_loopback_host' | 'weak_token' | 'invalid_option' | 'invalid_event' | 'out_of_order';

/**
 * A configuration error of `createInspector` or an event a `fleetFeed` refused, thrown to the host: a `ToolflightError` whose
 * `code` says what was refused and whose message says what to pass instead.
 *
 * @example
 * try { await createInspector({ tracker }, { token: 'secret' }); }
 * catch (error) { if (error instanceof InspectorError && error.code === 'weak_token') { ... } }
 */
export class InspectorError extends ToolflightError<InspectorErrorCode> {
  override readonly name: string = 'InspectorError';
}

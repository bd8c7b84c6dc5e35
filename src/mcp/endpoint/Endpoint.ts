// What every tracked MCP endpoint (loopback server, proxy, gateway) shares in its options and
// on the wire.
import { shownValue, type ConnectionLimits } from '../../http/connectionLimits.js';

/** The path of the MCP endpoint on every toolflight server. */
export const MCP_PATH = '/mcp';

/**
 * The request header that once named a request's capture. The credential names it now; a
 * request may still send the header, and is refused (403) when it names another capture.
 */
export const CAPTURE_HEADER = 'x-toolflight-capture-key';

/**
 * Limits of an endpoint: on one HTTP request (its body), and on its connections and SSE streams
 * (caps and timeouts, shared with every toolflight HTTP server). A server refuses to start
 * with a cap or a timeout that is not a positive integer (`invalid_option`).
 */
export interface Limits extends ConnectionLimits {
  /** Largest accepted body in bytes (413 above). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The whole body must arrive within this many ms (408 otherwise). Default 30,000. */
  readonly bodyTimeoutMs?: number;
}

/** The body limits every endpoint applies when `limits` leaves them out. */
export const BODY_DEFAULTS = { maxBodyBytes: 1024 * 1024, bodyTimeoutMs: 30_000 } as const;

/**
 * The body limits of `limits`, defaults filled in; `error` builds the endpoint's own typed
 * error for a value that is not a positive number.
 */
export function bodyLimitsOf(
  limits: Limits | undefined,
  error: (message: string) => Error,
): { readonly maxBodyBytes: number; readonly bodyTimeoutMs: number } {
  const positive = (name: keyof typeof BODY_DEFAULTS): number => {
    const value: unknown = limits?.[name];
    if (value === undefined) return BODY_DEFAULTS[name];
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw error(`limits.${name} must be a positive number, got ${shownValue(value)}`);
    }
    return value;
  };
  return { maxBodyBytes: positive('maxBodyBytes'), bodyTimeoutMs: positive('bodyTimeoutMs') };
}

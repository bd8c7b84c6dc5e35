// What every tracked MCP endpoint (loopback server, proxy, gateway) shares in its options and
// on the wire.
import type { ConnectionLimits } from '../../http/connectionLimits.js';

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

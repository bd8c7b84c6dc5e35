// What every tracked MCP endpoint (loopback server, proxy, gateway) shares in its options and
// on the wire.

/** The path of the MCP endpoint on every toolflight server. */
export const MCP_PATH = '/mcp';

/** The request header that names the capture a request belongs to. */
export const CAPTURE_HEADER = 'x-toolflight-capture-key';

/** Limits on one HTTP request to an endpoint. */
export interface Limits {
  /** Largest accepted body in bytes (413 above). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The whole body must arrive within this many ms (408 otherwise). Default 30,000. */
  readonly bodyTimeoutMs?: number;
}
